package dev.mod4j.runtime.accounting;

/**
 * Our own exact multiply-add count (the {@link FlopsConvention#EXACT} convention): what the engine actually
 * computes, given the rows each layer processed and how many keys their attention saw. Unlike the papers'
 * formulas it halves the attention for causality, follows grouped-query attention and counts the LM head.
 * Counts are linear in rows and visible keys, so a sequence processed in chunks (prefill, then decode steps)
 * costs the same as in one prefill.
 */
public final class ExactMacs {
    private ExactMacs() {
    }

    /** One decoder layer's multiply-adds; the engine passes the numbers it actually ran. */
    public static long layerMacs(ModelShape shape, long rows, long visibleKeys) {
        return ExactLayerMacs.count(shape, rows, visibleKeys, 0).total();
    }

    /** One decoder layer's multiply-adds for the counts it reported, selection overhead included. */
    public static long layerMacs(ModelShape shape, LayerTokenCounts counts) {
        return ExactLayerMacs.count(shape, counts.processedTokens(), counts.visibleKeys(),
                counts.selectionOverheadMacs()).total();
    }

    /**
     * The attention ranking a schedule runs to choose rows (FastV, PyramidDrop, SparseVLM: the softmax attention of
     * some query rows over the rows before them, recomputed from a layer's input as
     * {@code cpu/AttentionProbabilities} does): {@code k_proj} over every key row ({@code keyRows · d · KV·d_h}),
     * {@code q_proj} over the query rows it projects ({@code queryRows · d · H·d_h}) and one {@code d_h}-dot product
     * per head per visible key ({@code visibleKeys · H·d_h}). The norm, RoPE and softmax are element-wise and not
     * counted, as in {@link ExactLayerMacs}. No values are read: the probabilities are the result.
     *
     * @param keyRows     rows whose keys are projected (the last query row + 1)
     * @param queryRows   rows whose queries are projected
     * @param visibleKeys the sum over the query rows of the keys each one scores
     */
    public static long attentionRankingMacs(ModelShape shape, long keyRows, long queryRows, long visibleKeys) {
        if (keyRows < 0 || queryRows < 0 || visibleKeys < 0) {
            throw new IllegalArgumentException("key rows " + keyRows + ", query rows " + queryRows
                    + " and visible keys " + visibleKeys + " must be non-negative");
        }
        long d = shape.hidden();
        return keyRows * d * shape.kvWidth() + queryRows * d * shape.queryWidth() + visibleKeys * shape.queryWidth();
    }

    /** The LM head: {@code rows · d · vocab}; generation needs logits for the last row only. */
    public static long lmHeadMacs(ModelShape shape, long logitRows) {
        if (logitRows < 0) {
            throw new IllegalArgumentException("logit rows must be non-negative, found " + logitRows);
        }
        return logitRows * shape.hidden() * shape.vocab();
    }

    /**
     * Keys seen in total by {@code rows} causal queries appended after {@code cachedEntries} cached ones: the
     * i-th new row (1-based) sees {@code cachedEntries + i} keys, so the sum is
     * {@code rows·cachedEntries + rows·(rows+1)/2}.
     */
    public static long causalVisibleKeys(long cachedEntries, long rows) {
        if (cachedEntries < 0 || rows < 0) {
            throw new IllegalArgumentException("cached entries " + cachedEntries + " and rows " + rows
                    + " must be non-negative");
        }
        return rows * cachedEntries + rows * (rows + 1) / 2;
    }
}
