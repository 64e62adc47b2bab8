package dev.mod4j.runtime.compare;

import java.util.Arrays;
import java.util.Locale;

/**
 * Repeated measurements of one quantity: the median and the range (min–max). With three or so repeats an
 * interquartile range says nothing the range does not, so the range it is.
 */
public record Spread(double median, double min, double max, int count) {

    public Spread {
        if (count < 1 || !(min <= median && median <= max)) {
            throw new IllegalArgumentException("need min <= median <= max over at least one sample, got " + min + ", "
                    + median + ", " + max + " over " + count);
        }
    }

    /** The spread of {@code samples} (the median of an even count is the mean of the middle two). */
    public static Spread of(double... samples) {
        if (samples.length == 0) {
            throw new IllegalArgumentException("no samples");
        }
        double[] sorted = samples.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        return new Spread(median, sorted[0], sorted[n - 1], n);
    }

    /** One measurement. */
    public static Spread single(double value) {
        return new Spread(value, value, value, 1);
    }

    /** The spread of {@code f} of each sample, for a decreasing {@code f} (e.g. tokens/s → ms per token). */
    public Spread mapDecreasing(java.util.function.DoubleUnaryOperator f) {
        return new Spread(f.applyAsDouble(median), f.applyAsDouble(max), f.applyAsDouble(min), count);
    }

    /**
     * "12.3 (11.9–13.0)" with {@code format} for each number, or the median alone for one sample. The gap before the
     * range is a no-break space, so that a table printed with it stays one whitespace-separated field per cell.
     */
    public String format(String format) {
        String m = String.format(Locale.ROOT, format, median);
        return count == 1 ? m : m + "\u00a0(" + String.format(Locale.ROOT, format, min) + "–"
                + String.format(Locale.ROOT, format, max) + ")";
    }
}
