package dev.mod4j.tornado.kernels;

/**
 * Layout of the small {@code IntArray} every task graph reads its per-call sizes from. Task-graph scalars are fixed
 * when the graph is built, so what changes from call to call (how many rows, where they go in the KV cache, which
 * layer's weights) travels to the device in this array, copied with every execution.
 */
public final class Step {
    /** Rows in this batch (the kernels' loop bound). */
    public static final int ROWS = 0;
    /** KV-cache entry of the batch's first row: the cache length on entry. */
    public static final int BASE = 1;
    /** Decoder layer whose weights and KV-cache slice the kernels use. */
    public static final int LAYER = 2;
    /** Operation-specific: the stream row whose logits are wanted, the query row of an attention score, the slot
     * of an uploaded score projection. */
    public static final int ARG = 3;
    /** Number of fields. */
    public static final int SIZE = 4;

    private Step() {
    }
}
