package dev.mod4j.runtime.backend;

import dev.mod4j.runtime.backend.LayerKvCache;

/**
 * One session's residual stream: the hidden-state rows of the tokens in the current forward pass, held where the
 * backend computes (host arrays on the CPU, device memory on a GPU), with every operation the model and the token
 * schedules perform on them. Rows are addressed by their current index 0 .. rows−1; the model keeps which token
 * each row is. Between layers and steps the rows stay inside the backend: a layer gathers the rows it processes,
 * runs and scatters them back there, and the schedules ask for small per-row scores ({@link #rowScores},
 * {@link #attentionFrom}) instead of reading hidden states. Not thread-safe; one per session.
 */
public interface ResidualStream {
    /** Most rows the stream holds. */
    int capacity();

    /** Rows in the stream now. */
    int rows();

    /** Starts a forward pass of {@code rows} new rows; fill each with {@link #embed} or {@link #put} before a layer runs. */
    void start(int rows);

    /** Token {@code tokenId}'s embedding (widened to float) into row {@code row}. */
    void embed(int row, int tokenId);

    /** hidden_size values of {@code source} from {@code offset} into row {@code row} (an image feature row). */
    void put(int row, float[] source, int offset);

    /**
     * Runs decoder layer {@code layer} on {@code count} rows: {@code h = x + Attn(LN1(x))}, then
     * {@code x' = h + gate[i] · MLP(LN2(h))} ({@code mlpGate} null means gate 1, and then the result equals the
     * unscaled layer bit for bit). {@code processedRows} lists the rows, ascending (gathered into a compact batch and
     * scattered back); null means rows 0 .. count−1 in place. Batch row i's key is rotated to {@code positions[i]} and
     * appended to {@code cache} as entry {@code base + i}, base being the cache length on entry, with token index
     * {@code tokenIndices[i]}; it attends to entries [0, base + i]. A backend that keeps the cache on a device writes
     * the entries' keys and values into the host cache only when it needs the device copy for another cache; the
     * host cache's length, positions and token indices are always current.
     */
    void decoderLayer(int layer, int[] processedRows, int count, int[] positions, int[] tokenIndices,
                      float[] mlpGate, LayerKvCache cache);

    /**
     * Makes {@code cache}'s host arrays hold every entry layer {@code layer} has written, for a schedule that reads
     * keys (DART). The CPU's caches are the host arrays, so by default nothing is done; a backend that keeps the
     * cache on a device copies back what only the device holds.
     */
    default void copyCacheToHost(int layer, LayerKvCache cache) {
    }

    /** Multiplies the whole state of rows {@code rows[i]} by {@code factors[i]}, for i &lt; count (p-MoD's STRing). */
    void scaleRows(int[] rows, float[] factors, int count);

    /** Keeps only rows {@code survivors[0 .. count)} (ascending), renumbered 0 .. count−1; drops the rest. */
    void keepRows(int[] survivors, int count);

    /** Final norm and output projection of row {@code row}; writes vocab_size logits at {@code offset}. */
    void logits(int row, float[] out, int offset);

    /**
     * Small linear scores of rows: {@code out[i·outputs + o] = W[o] · x + b[o]} for x row {@code rows[i]} (null:
     * row i) as it is ({@code normLayer} &lt; 0) or after layer {@code normLayer}'s input_layernorm; W is
     * [outputs × hidden_size] row-major, b null or one per output. A router's logits (γ-MoD, p-MoD): only the
     * {@code count × outputs} scores leave the backend.
     */
    float[] rowScores(int[] rows, int count, int normLayer, float[] weight, float[] bias, int outputs);

    /**
     * Head-mean softmax attention probabilities of row {@code queryRow} over rows [0, queryRow], with layer
     * {@code layer}'s input norm and q/k projections and row r rotated to {@code positions[r]}: the importance score
     * of FastV and PyramidDrop. Length queryRow + 1.
     */
    float[] attentionFrom(int queryRow, int layer, int[] positions);

    /**
     * The rows as host floats, [rows × hidden_size], read only. On the CPU the stream's own array; a device backend
     * downloads them (a host round trip, there for analysis tools such as ARank, not for the forward pass).
     */
    float[] hostRows();
}
