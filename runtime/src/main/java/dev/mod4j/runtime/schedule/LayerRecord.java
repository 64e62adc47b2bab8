package dev.mod4j.runtime.schedule;

import dev.mod4j.runtime.prompt.TokenRole;

/**
 * What one decoder layer did in one forward pass (a prefill, or one decode step): which tokens it processed, with
 * what gates, on what scores, and what it cost.
 *
 * @param step                 0 for the prefill, then 1, 2, ... for decode steps
 * @param rowsIn               tokens in the residual stream when the layer ran
 * @param processed            sequence indices of the tokens the layer processed, in row order: ascending, except
 *                             that rows a schedule merged ({@link MergedRows}) carry their centre's index where
 *                             they were inserted
 * @param processedByRole      count of processed tokens per {@link TokenRole} ordinal
 * @param gates                MLP gate of each processed token (null: all 1)
 * @param scoredSequenceIndices sequence indices the scores refer to (the rows in the stream), or null
 * @param scores               the method's per-token scores for this layer (router probability, weight, attention), or null
 * @param kvEntries            the layer's KV-cache length after the pass
 * @param macs                 multiply-adds the layer performed (projections, attention, MLP), exactly
 * @param rankingMacs          multiply-adds the schedule spent at this layer ranking rows by attention (FastV,
 *                             PyramidDrop, SparseVLM; {@link dev.mod4j.runtime.accounting.ExactMacs#attentionRankingMacs})
 */
public record LayerRecord(int layer, Phase phase, int step, int rowsIn, int[] processed, int[] processedByRole,
                          float[] gates, int[] scoredSequenceIndices, float[] scores, int kvEntries, long macs,
                          long rankingMacs) {

    /** Everything the layer cost: its own multiply-adds and the schedule's ranking. */
    public long totalMacs() {
        return macs + rankingMacs;
    }

    public int processedCount() {
        return processed.length;
    }

    public int processed(TokenRole role) {
        return processedByRole[role.ordinal()];
    }
}
