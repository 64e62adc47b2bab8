package dev.mod4j.report;

import dev.mod4j.api.Comparison;
import dev.mod4j.runtime.accounting.FlopsConvention;
import dev.mod4j.runtime.compare.ScheduleRun;
import dev.mod4j.runtime.prompt.TokenRole;
import dev.mod4j.runtime.schedule.LayerRecord;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The report's numbers as CSV (RFC 4180, header row, six significant digits, '.' as decimal point): one row per
 * schedule, and one row per schedule and prefill layer.
 */
public final class ReportCsv {
    private ReportCsv() {
    }

    /**
     * schedule, agreement, first_divergence, prefill_ms, ..., output: the table's numbers unrounded (times as the
     * median over the timed repeats, then their min and max).
     */
    public static String schedules(Comparison comparison, FlopsConvention convention) {
        List<String> lines = new ArrayList<>();
        lines.add("schedule,agreement,first_divergence,prefill_ms,decode_tokens_per_s,prefill_ms_min,prefill_ms_max,"
                + "decode_tokens_per_s_min,decode_tokens_per_s_max,repeats,new_tokens,prefill_macs,"
                + "total_macs,flops_convention,prefill_flops_ratio_to_dense,kv_cache_entries,kv_cache_bytes,kv_cache_ratio,image_tokens_per_layer,output");
        List<ComparisonTable.Row> rows = ComparisonTable.rows(comparison.runs(), comparison.texts(), convention,
                comparison.shape());
        for (int i = 0; i < rows.size(); i++) {
            ComparisonTable.Row row = rows.get(i);
            ScheduleRun run = comparison.runs().get(i);
            lines.add(String.join(",", field(row.schedule()), number(row.agreement()),
                    String.valueOf(row.firstDivergence()), number(row.prefillMillis().median()),
                    number(row.decodeTokensPerSecond().median()), number(row.prefillMillis().min()),
                    number(row.prefillMillis().max()), number(row.decodeTokensPerSecond().min()),
                    number(row.decodeTokensPerSecond().max()), String.valueOf(row.prefillMillis().count()),
                    String.valueOf(run.generation().tokens().length),
                    String.valueOf(run.prefillMacs()), String.valueOf(run.totalMacs()),
                    convention.name().toLowerCase(java.util.Locale.ROOT), number(row.flopsRatio()),
                    String.valueOf(run.kvCacheEntries()), String.valueOf(run.kvCacheBytes()), number(row.kvRatio()),
                    field(joined(run.imageTokensPerLayer())), field(row.output())));
        }
        return String.join("\r\n", lines) + "\r\n";
    }

    /** schedule, layer, rows_in, processed, processed per role, kv_entries, macs: every prefill layer. */
    public static String layers(Comparison comparison) {
        List<String> lines = new ArrayList<>();
        lines.add("schedule,layer,rows_in,processed,system,image,instruction,response,kv_entries,macs");
        for (ScheduleRun run : comparison.runs()) {
            for (LayerRecord r : run.prefillLayers()) {
                lines.add(String.join(",", field(run.spec()), String.valueOf(r.layer()), String.valueOf(r.rowsIn()),
                        String.valueOf(r.processedCount()), String.valueOf(r.processed(TokenRole.SYSTEM)),
                        String.valueOf(r.processed(TokenRole.IMAGE)), String.valueOf(r.processed(TokenRole.INSTRUCTION)),
                        String.valueOf(r.processed(TokenRole.RESPONSE)), String.valueOf(r.kvEntries()),
                        String.valueOf(r.macs())));
            }
        }
        return String.join("\r\n", lines) + "\r\n";
    }

    static void write(Path file, String csv) {
        try {
            Files.writeString(file, csv);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private static String joined(int[] values) {
        StringBuilder sb = new StringBuilder();
        for (int v : values) {
            sb.append(sb.isEmpty() ? "" : " ").append(v);
        }
        return sb.toString();
    }

    static String number(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return "";
        }
        return new BigDecimal(v).round(new MathContext(6)).stripTrailingZeros().toPlainString();
    }

    /** Quoted when it holds a comma, quote or line break; quotes doubled. */
    static String field(String s) {
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) {
            return s;
        }
        return '"' + s.replace("\"", "\"\"") + '"';
    }
}
