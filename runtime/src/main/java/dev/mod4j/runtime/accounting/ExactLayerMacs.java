package dev.mod4j.runtime.accounting;

/**
 * The multiply-adds one LLaMA decoder layer performs, by matrix product, for {@code rows} processed tokens whose
 * attention rows see {@code visibleKeys} keys in total. Each field is a count of scalar multiply-adds.
 * Norms, RoPE, softmax, SiLU and residual adds are element-wise (O(n·d), under 0.1% of a 7B layer) and not counted,
 * as in every paper's formula (docs/methods.md §2).
 *
 * @param queryProjection     {@code rows · d · H·d_h}
 * @param keyProjection       {@code rows · d · KV·d_h} (grouped-query attention shrinks K and V, not Q)
 * @param valueProjection     {@code rows · d · KV·d_h}
 * @param outputProjection    {@code rows · H·d_h · d}
 * @param attentionScores     {@code visibleKeys · H·d_h}: one {@code d_h}-dot product per head per visible key
 * @param attentionValues     {@code visibleKeys · H·d_h}: the probability-weighted sum of values
 * @param mlp                 {@code rows · 3·d·m}: SwiGLU's gate, up and down projections
 * @param selectionOverhead   what the schedule spent choosing tokens at this layer (router, scoring), as reported
 */
public record ExactLayerMacs(long queryProjection, long keyProjection, long valueProjection, long outputProjection,
                             long attentionScores, long attentionValues, long mlp, long selectionOverhead) {

    public static ExactLayerMacs count(ModelShape shape, long rows, long visibleKeys, long selectionOverhead) {
        if (rows < 0 || visibleKeys < 0 || selectionOverhead < 0) {
            throw new IllegalArgumentException("rows " + rows + ", visible keys " + visibleKeys
                    + " and selection overhead " + selectionOverhead + " must be non-negative");
        }
        long d = shape.hidden();
        long queryWidth = shape.queryWidth();
        long kvWidth = shape.kvWidth();
        return new ExactLayerMacs(
                rows * d * queryWidth,
                rows * d * kvWidth,
                rows * d * kvWidth,
                rows * queryWidth * d,
                visibleKeys * queryWidth,
                visibleKeys * queryWidth,
                rows * 3 * d * shape.intermediate(),
                selectionOverhead);
    }

    public long total() {
        return queryProjection + keyProjection + valueProjection + outputProjection + attentionScores
                + attentionValues + mlp + selectionOverhead;
    }
}
