package dev.mod4j.runtime.backend;

/**
 * How decoder blocks are computed (CPU, TornadoVM, ...). A backend is bound to one model's weights and makes one
 * {@link ResidualStream} per session, which holds that session's hidden rows where the backend computes and runs
 * the layers and the schedules' scoring on them. The model decides which rows a layer processes; backends know
 * nothing of token schedules.
 */
public interface Backend extends AutoCloseable {
    /** A name for reports, e.g. "cpu (2 threads, AVX-512)". */
    String name();

    /** The residual stream of one session, for up to {@code capacity} rows; its buffers are allocated once, here. */
    ResidualStream newStream(int capacity);

    @Override
    default void close() {
    }
}
