package dev.mod4j.report;

import dev.mod4j.api.Comparison;
import dev.mod4j.runtime.accounting.FlopsConvention;
import dev.mod4j.runtime.accounting.ModelShape;
import dev.mod4j.runtime.compare.ScheduleRun;
import dev.mod4j.runtime.compare.Spread;

import java.util.ArrayList;
import java.util.List;

/**
 * The comparison table as numbers and as the cells both {@code mod4j compare} and the HTML report print, so the two
 * cannot disagree. FLOPs are relative to the dense model on the same prompt, under a {@link FlopsConvention}; the
 * other ratios relative to the first run.
 */
public final class ComparisonTable {
    /** Column headers, in cell order. */
    public static final List<String> HEADERS = List.of("schedule", "agree", "diff@", "prefill ms", "decode t/s", "FLOPs",
            "KV bytes", "KV ratio", "image tokens per layer", "output");

    private ComparisonTable() {
    }

    /**
     * One schedule's row.
     *
     * @param agreement        share of the reference's tokens this run reproduced at the same position
     * @param firstDivergence  index of the first token that differs from the reference, -1 when none does
     * @param prefillMillis    prefill time: median and range (min–max) over the timed repeats
     * @param decodeTokensPerSecond decode speed: median and range over the timed repeats
     * @param flopsRatio       prefill compute relative to the dense model on the same prompt (the convention's count)
     * @param kvRatio          KV-cache bytes relative to the reference's
     * @param imageTokens      run-length form of the image tokens each layer processed ("64×2 32×6")
     */
    public record Row(String schedule, double agreement, int firstDivergence, Spread prefillMillis,
                      Spread decodeTokensPerSecond, long prefillMacs, double flopsRatio, long kvCacheBytes,
                      double kvRatio, String imageTokens, String output) {

        /** The cells under {@link #HEADERS}. */
        public List<String> cells() {
            return List.of(schedule, String.format("%.0f%%", 100 * agreement),
                    firstDivergence < 0 ? "-" : String.valueOf(firstDivergence), prefillMillis.format("%.1f"),
                    decodeTokensPerSecond.format("%.2f"), String.format("%.1f%%", 100 * flopsRatio),
                    bytes(kvCacheBytes), String.format("%.1f%%", 100 * kvRatio), imageTokens, printable(output));
        }
    }

    /** The comparison's rows, FLOPs counted exactly (the multiply-adds mod4j performed). */
    public static List<Row> rows(Comparison comparison) {
        return rows(comparison.runs(), comparison.texts(), FlopsConvention.EXACT, comparison.shape());
    }

    /** Rows for {@code runs}, the first being the reference; {@code texts} are the outputs as shown. */
    public static List<Row> rows(List<ScheduleRun> runs, List<String> texts, FlopsConvention convention,
                                 ModelShape shape) {
        ScheduleRun reference = runs.getFirst();
        int[] referenceTokens = reference.generation().tokens();
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < runs.size(); i++) {
            ScheduleRun r = runs.get(i);
            rows.add(new Row(r.spec(), r.agreementWith(referenceTokens), r.firstDivergence(referenceTokens),
                    r.timings().prefillMillis(), r.timings().decodeTokensPerSecond(), r.prefillMacs(),
                    r.prefillFlops(convention, shape).ratioToDense(), r.kvCacheBytes(),
                    ratio(r.kvCacheBytes(), reference.kvCacheBytes()), r.imageTokensCompact(), texts.get(i)));
        }
        return rows;
    }

    /** Control characters (an untrained model emits tabs, bells, ...) as escapes, so a table row stays one line. */
    public static String printable(String text) {
        StringBuilder sb = new StringBuilder(text.length());
        for (char ch : text.toCharArray()) {
            switch (ch) {
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '\r' -> sb.append("\\r");
                default -> {
                    if (Character.isISOControl(ch)) {
                        sb.append(String.format("\\x%02x", (int) ch));
                    } else {
                        sb.append(ch);
                    }
                }
            }
        }
        return sb.toString();
    }

    private static double ratio(long value, long reference) {
        return reference == 0 ? Double.NaN : value / (double) reference;
    }

    /** 1536 → "1.5 KiB" (binary units, as {@code mod4j inspect} prints sizes). */
    public static String bytes(long n) {
        if (n >= 1L << 30) {
            return String.format("%.2f GiB", n / (double) (1L << 30));
        }
        if (n >= 1L << 20) {
            return String.format("%.1f MiB", n / (double) (1L << 20));
        }
        if (n >= 1L << 10) {
            return String.format("%.1f KiB", n / 1024.0);
        }
        return n + " B";
    }
}
