package dev.mod4j.runtime.schedule;

import dev.mod4j.loaders.config.LlamaConfig;
import dev.mod4j.runtime.model.TokenRole;

/**
 * What a schedule may look at when it plans a layer: the current rows (tokens still in the residual stream), their
 * roles, original positions and hidden states, and two scoring operations the methods need.
 */
public interface ScheduleContext {
    Phase phase();

    LlamaConfig config();

    /** Number of current rows (prefill: the prompt minus dropped tokens; decode: the new tokens). */
    int rows();

    TokenRole role(int row);

    /** The row's index in the original sequence. */
    int sequenceIndex(int row);

    /** Hidden states of the current rows, row-major [rows × hidden_size]. Read only. */
    float[] hidden();

    /** Length of layer {@code layer}'s KV cache now. */
    int cacheLength(int layer);

    /** {@code input_layernorm} of layer {@code layer} applied to every current row, [rows × hidden_size]. */
    float[] inputNormed(int layer);

    /**
     * Head-mean softmax attention probabilities of current row {@code queryRow} over current rows [0, queryRow],
     * computed with layer {@code layer}'s input norm and q/k projections on the current hidden states; keys and query
     * rotated to their original positions ({@link PositionRule#ORIGINAL}) or to their current row indices
     * ({@link PositionRule#CACHE_INDEX}, i.e. the compact renumbering). The score FastV and PyramidDrop rank by.
     */
    float[] attentionFrom(int queryRow, int layer, PositionRule positions);

    /** Records per-row scores of the current layer's decision in the routing trace (for scores computed after a layer). */
    void traceScores(float[] scorePerRow);
}
