package dev.mod4j.runtime.backend;

import dev.mod4j.runtime.weights.LlamaWeights;

/**
 * How a model's blocks are computed (CPU, TornadoVM, ...). A backend is built from one model's {@link ModelParts},
 * prepares its own weight layout from them, and makes one {@link ResidualStream} per session, which holds that
 * session's hidden rows where the backend computes and runs the decoder layers and the schedules' scoring on them;
 * the vision tower and projector run through its {@link #vision()}. The model decides which rows a layer
 * processes; backends know nothing of token schedules.
 */
public interface Backend extends AutoCloseable {
    /** A name for reports, e.g. "cpu (2 threads, 512-bit vectors)". */
    String name();

    /** The residual stream of one session, for up to {@code capacity} rows; its buffers are allocated once, here. */
    ResidualStream newStream(int capacity);

    /** Heap bytes {@link #newStream newStream(capacity)} allocates (the session counts its host KV caches itself). */
    long streamHeapBytes(int capacity);

    /**
     * Bytes a session of {@code capacity} tokens needs where this backend computes: its KV cache and activation
     * buffers (for the CPU that is the heap: the session's KV caches and the stream's buffers).
     */
    long sessionDeviceBytes(int capacity);

    /** The vision tower and projector on this backend; fails when the parts had no vision side. */
    VisionEncoder vision();

    /**
     * The decoder's weights in host memory in this backend's layout, for host-side analysis (ARank, benchmarks);
     * the checkpoint views the backend was built from may no longer describe that memory (see
     * {@link LlamaWeights}).
     */
    LlamaWeights hostWeights();

    @Override
    default void close() {
    }
}
