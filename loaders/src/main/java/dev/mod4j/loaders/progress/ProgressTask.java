package dev.mod4j.loaders.progress;

/** One piece of long work being reported to a {@link ProgressListener}. */
public interface ProgressTask extends AutoCloseable {
    /** {@code units} more of the task's total are done. */
    void advance(long units);

    /** The task ended (done or abandoned). */
    @Override
    void close();

    /** A task nobody watches. */
    ProgressTask NONE = new ProgressTask() {
        @Override
        public void advance(long units) {
        }

        @Override
        public void close() {
        }
    };
}
