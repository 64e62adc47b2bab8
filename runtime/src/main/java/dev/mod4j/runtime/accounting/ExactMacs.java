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
