package dev.mod4j.loaders.progress;

/**
 * Where long work (copying weights into memory, converting them at load, the vision tower's layers, arank's passes,
 * writing a benchmark model) reports how far it has come. The loaders and the runtime report to
 * {@link #current()}; the command line binds a terminal progress bar to {@link #CURRENT} for the duration of a
 * command, and everything else (tests, the server, a library user) gets {@link #NONE}. A scoped value rather than a
 * parameter: progress is a concern of whoever runs the work, and threading it through every load method would put it
 * into every signature.
 */
@FunctionalInterface
public interface ProgressListener {
    /** Starts a task of {@code total} units (layers, mebibytes, samples); close the task when it ends. */
    ProgressTask start(String label, long total);

    /** Reports nowhere. */
    ProgressListener NONE = (label, total) -> ProgressTask.NONE;

    /** The listener of the running command, bound by whoever runs the work. */
    ScopedValue<ProgressListener> CURRENT = ScopedValue.newInstance();

    /** The bound listener, or {@link #NONE}. */
    static ProgressListener current() {
        return CURRENT.orElse(NONE);
    }
}
