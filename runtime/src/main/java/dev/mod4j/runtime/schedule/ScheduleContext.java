package dev.mod4j.runtime.schedule;

import dev.mod4j.loaders.config.LlamaConfig;
import dev.mod4j.runtime.prompt.TokenRole;

/**
 * What a schedule may look at when it plans a layer: the current rows (tokens still in the residual stream), their
 * roles and original positions, and the two scoring operations the methods need ({@link #rowScores} for routers,
 * {@link #attentionFrom} for attention-based ranking). Scores are computed by the backend where the hidden rows live
 * (on a GPU they never leave the device); the schedule decides on the host from the scores alone.
 */
public interface ScheduleContext {
    Phase phase();

    LlamaConfig config();

    /** Number of current rows (prefill: the prompt minus dropped tokens; decode: the new tokens). */
    int rows();

    TokenRole role(int row);

    /** The row's index in the original sequence. */
    int sequenceIndex(int row);

    /**
     * Hidden states of the current rows, row-major [rows × hidden_size]. Read only. For analysis tools (ARank) that
     * need whole rows; schedules score rows with {@link #rowScores} and {@link #attentionFrom} instead, which run where
     * the rows live. On a device backend this downloads the rows (a host round trip per call).
     */
    float[] hidden();

    /** Length of layer {@code layer}'s KV cache now. */
    int cacheLength(int layer);

    /**
     * A router's logits, computed where the rows live: {@code out[i·outputs + o] = W[o] · x + b[o]} for x the current
     * row {@code rows[i]} (null: every current row, in order) as it is ({@code normLayer} &lt; 0, p-MoD's router on
     * the raw residual stream) or after layer {@code normLayer}'s input_layernorm (γ-MoD's). W is
     * [outputs × hidden_size] row-major, b one per output or null; outputs is small (1 or 2).
     */
    float[] rowScores(int[] rows, int normLayer, float[] weight, float[] bias, int outputs);

    /**
     * Head-mean softmax attention probabilities of current row {@code queryRow} over current rows [0, queryRow],
     * computed with layer {@code layer}'s input norm and q/k projections on the current hidden states; keys and query
     * rotated to their original positions ({@link PositionRule#ORIGINAL}) or to their current row indices
     * ({@link PositionRule#CACHE_INDEX}, i.e. the compact renumbering). The score FastV and PyramidDrop rank by.
     */
    float[] attentionFrom(int queryRow, int layer, PositionRule positions);

    /**
     * The L1 norm of each current row's key in layer {@code layer}'s KV cache (rotated to its position, as stored;
     * under grouped-query attention over the KV heads only, which scales every row alike), for the rows that layer
     * processed in this pass; NaN for the others. DART ranks its pivot tokens by it, on the layer before the one it
     * prunes at.
     */
    float[] keyL1Norms(int layer);

    /**
     * Cosine similarities between current rows: {@code out[i·b.length + j] = cos(x[a[i]], x[b[j]])}, on the hidden
     * states as they are or after the model's final norm ({@code afterFinalNorm}, DART's duplication score). Each
     * vector is divided by max(‖x‖, 1e-8) first, as torch's {@code cosine_similarity} does.
     */
    float[] cosineSimilarities(int[] a, int[] b, boolean afterFinalNorm);

    /** Records per-row scores of the current layer's decision in the routing trace (for scores computed after a layer). */
    void traceScores(float[] scorePerRow);
}
