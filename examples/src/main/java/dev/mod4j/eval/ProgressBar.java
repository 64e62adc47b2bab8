package dev.mod4j.eval;

import java.io.PrintWriter;
import java.time.Duration;

/**
 * A one-line progress bar with rate and ETA, redrawn in place ({@code \r}) on a terminal. Off (prints nothing) when
 * the stream is not a terminal, so logs and pipes stay clean; use {@link #forTerminal} to decide.
 * <p>
 * Kept rather than me.tongfei:progressbar: that library asks JLine 3 for the terminal (a dependency several times this
 * class's size, which can itself warn on stderr when no system terminal is found) and decides interactivity from the
 * JVM's console (standard input and output), while mod4j draws on standard error and must stay silent exactly when
 * that is piped (its output is often piped while the bar is watched).
 */
public final class ProgressBar {
    /** Makes a bar for a task of {@code total} steps. */
    @FunctionalInterface
    public interface Factory {
        ProgressBar create(String label, long total);

        /** Bars that never draw. */
        Factory NONE = (label, total) -> new ProgressBar(null, label, total, false);
    }

    private static final int WIDTH = 28;
    private final PrintWriter out;
    private final String label;
    private final long total;
    private final boolean enabled;
    private final long startNanos = System.nanoTime();
    private long done;
    private long lastDrawNanos;

    public ProgressBar(PrintWriter out, String label, long total, boolean enabled) {
        this.out = out;
        this.label = label;
        this.total = total;
        this.enabled = enabled && total > 0;
        if (this.enabled) {
            out.print("\r" + line(0, total, 0));
            out.flush();
        }
    }

    /** A bar on {@code out} (standard error) that draws only when standard error is a terminal. */
    public static ProgressBar forTerminal(PrintWriter out, String label, long total) {
        return new ProgressBar(out, label, total, isTerminal());
    }

    /**
     * True when standard error is a terminal. On Linux that is read off {@code /proc/self/fd/2}; elsewhere the JDK's
     * {@code Console.isTerminal()} (standard input and output) stands in for it.
     */
    public static boolean isTerminal() {
        java.nio.file.Path fd = java.nio.file.Path.of("/proc/self/fd/2");
        if (java.nio.file.Files.isSymbolicLink(fd)) {
            try {
                String target = java.nio.file.Files.readSymbolicLink(fd).toString();
                return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
            } catch (java.io.IOException | SecurityException e) {
                return false;
            }
        }
        java.io.Console console = System.console();
        return console != null && console.isTerminal();
    }

    /** One more item done; redraws at most ten times a second (and always at the end). */
    public void step() {
        done++;
        long now = System.nanoTime();
        if (enabled && (now - lastDrawNanos > 100_000_000L || done == total)) {
            lastDrawNanos = now;
            out.print("\r" + line(done, total, now - startNanos));
            out.flush();
        }
    }

    /** Ends the bar's line. */
    public void finish() {
        if (enabled) {
            out.println();
            out.flush();
        }
    }

    /** "label [#######.............]  12/40  30%  2.1/s  ETA 0:13". */
    String line(long count, long of, long elapsedNanos) {
        int filled = (int) (WIDTH * count / Math.max(1, of));
        double seconds = elapsedNanos / 1e9;
        double rate = seconds > 0 ? count / seconds : 0;
        String eta = rate > 0 ? format(Duration.ofSeconds(Math.round((of - count) / rate))) : "?";
        return String.format("%s [%s%s] %d/%d %3d%% %.1f/s ETA %s ", label, "#".repeat(filled), ".".repeat(WIDTH - filled),
                count, of, 100 * count / Math.max(1, of), rate, eta);
    }

    static String format(Duration d) {
        long s = d.toSeconds();
        return s >= 3600 ? String.format("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format("%d:%02d", s / 60, s % 60);
    }
}
