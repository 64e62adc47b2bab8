package dev.mod4j.runtime.backend;

import dev.mod4j.runtime.model.LayerKvCache;

/**
 * How decoder blocks are computed (CPU, TornadoVM, ...). A backend is bound to one model's weights; the model code
 * decides which tokens a layer processes and hands the backend a compact batch of rows. Backends know nothing of
 * token schedules.
 */
public interface Backend extends AutoCloseable {
    /** A name for reports, e.g. "cpu (2 threads, AVX-512)". */
    String name();

    /** Scratch memory for batches of up to {@code maxRows} rows; one per session, reused for every layer and step. */
    Workspace newWorkspace(int maxRows);

    /**
     * Runs decoder layer {@code layer} on {@code rows} rows of {@code hidden} (row-major [rows × hidden_size]),
     * in place: {@code h = x + Attn(LN1(x))}, then {@code x' = h + gate[r] · MLP(LN2(h))} ({@code mlpGate} null
     * means gate 1, and then the result equals the unscaled layer bit for bit).
     * Row r's key is rotated to {@code positions[r]} and appended to {@code cache} as entry
     * {@code base + r}, where base is the cache length on entry; row r attends to cache entries [0, base + r].
     */
    void decoderLayer(int layer, Workspace workspace, float[] hidden, int rows, int[] positions, int[] tokenIndices,
                      float[] mlpGate, LayerKvCache cache);

    /** Final norm and output projection of hidden row {@code row}; writes vocab_size logits at {@code logitsOffset}. */
    void logits(Workspace workspace, float[] hidden, int row, float[] logits, int logitsOffset);

    /** Widens token {@code tokenId}'s embedding into {@code hidden} at row {@code row}. */
    void embed(int tokenId, float[] hidden, int row);

    @Override
    default void close() {
    }

    /** Opaque per-session scratch state of a backend. */
    interface Workspace {
        int maxRows();
    }
}
