package dev.mod4j.eval;

import dev.mod4j.loaders.progress.ProgressTask;

import java.io.PrintWriter;
import java.time.Duration;

/**
 * A one-line progress bar with rate and ETA, redrawn in place ({@code \r}) on a terminal. Off (prints nothing) when
 * the stream is not a terminal, so logs and pipes stay clean; {@link StandardErrorTerminal} decides that.
 * <p>
 * Kept rather than me.tongfei:progressbar: that library asks JLine 3 for the terminal (a dependency several times this
 * class's size, which can itself warn on stderr when no system terminal is found) and decides interactivity from the
 * JVM's console (standard input and output), while mod4j draws on standard error and must stay silent exactly when
 * that is piped (its output is often piped while the bar is watched).
 */
public final class ProgressBar implements ProgressTask {
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
    /** The bar first draws this long after the start, so that work done in a blink leaves no line behind. */
    private final long quietNanos;
    private boolean drawn;
    private long done;
    private long lastDrawNanos;

    /** A bar that draws at once (when enabled). */
    public ProgressBar(PrintWriter out, String label, long total, boolean enabled) {
        this(out, label, total, enabled, Duration.ZERO);
    }

    /** A bar that draws (when enabled) once {@code quietFor} has passed and the work is not yet done. */
    public ProgressBar(PrintWriter out, String label, long total, boolean enabled, Duration quietFor) {
        this.out = out;
        this.label = label;
        this.total = total;
        this.enabled = enabled && total > 0;
        this.quietNanos = quietFor.toNanos();
        if (this.enabled && quietNanos == 0) {
            draw(0, 0);
        }
    }

    /** A bar on {@code out} (standard error) that draws only when standard error is a terminal. */
    public static ProgressBar forTerminal(PrintWriter out, String label, long total) {
        PrintWriter terminal = StandardErrorTerminal.writer(out);
        return new ProgressBar(terminal, label, total, terminal != null);
    }

    /** True when standard error is a terminal ({@link StandardErrorTerminal#isTerminal()}). */
    public static boolean isTerminal() {
        return StandardErrorTerminal.isTerminal();
    }

    /** One more item done; redraws at most ten times a second (and always at the end). */
    public void step() {
        advance(1);
    }

    @Override
    public void advance(long units) {
        done += units;
        if (!enabled) {
            return;
        }
        long now = System.nanoTime();
        long elapsed = now - startNanos;
        boolean due = drawn ? now - lastDrawNanos > 100_000_000L || done >= total : elapsed >= quietNanos;
        if (due) {
            draw(Math.min(done, total), elapsed);
            lastDrawNanos = now;
        }
    }

    private void draw(long count, long elapsedNanos) {
        out.print("\r" + line(count, total, elapsedNanos));
        out.flush();
        drawn = true;
    }

    /** Ends the bar's line (nothing when it never drew). */
    public void finish() {
        if (enabled && drawn) {
            if (done < total) {
                draw(done, System.nanoTime() - startNanos);
            }
            out.println();
            out.flush();
        }
    }

    @Override
    public void close() {
        finish();
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
