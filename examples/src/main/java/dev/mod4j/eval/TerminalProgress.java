package dev.mod4j.eval;

import dev.mod4j.loaders.progress.ProgressListener;
import dev.mod4j.loaders.progress.ProgressTask;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The command line's {@link ProgressListener}: each task a {@link ProgressBar} on the terminal, drawn only once the
 * task has taken half a second (loading a small model leaves no line behind); nothing when standard error is piped.
 * One bar at a time: a task started while another is open (the vision tower inside a comparison's runs) is not drawn,
 * since two bars redrawn on one line would overwrite each other.
 */
public final class TerminalProgress implements ProgressListener {
    static final Duration QUIET_FOR = Duration.ofMillis(500);
    private final PrintWriter terminal;
    private final AtomicBoolean barOpen = new AtomicBoolean();

    /** Bars on {@code terminal}. */
    public TerminalProgress(PrintWriter terminal) {
        this.terminal = terminal;
    }

    /** Bars on standard error ({@code standardError}) when it is a terminal, else none. */
    public static ProgressListener forStandardError(PrintWriter standardError) {
        PrintWriter terminal = StandardErrorTerminal.writer(standardError);
        return terminal == null ? ProgressListener.NONE : new TerminalProgress(terminal);
    }

    @Override
    public ProgressTask start(String label, long total) {
        if (!barOpen.compareAndSet(false, true)) {
            return ProgressTask.NONE;
        }
        ProgressBar bar = new ProgressBar(terminal, label, total, true, QUIET_FOR);
        return new ProgressTask() {
            private boolean closed;

            @Override
            public void advance(long units) {
                bar.advance(units);
            }

            @Override
            public void close() {
                if (!closed) {
                    closed = true;
                    bar.finish();
                    barOpen.set(false);
                }
            }
        };
    }
}
