package dev.mod4j.tornado.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What the GPU benchmark found: printed as tables while it runs, and kept as one JSON document (machine, one list of
 * rows per table, the goals) that is written to the output directory after every section, so a run cut short still
 * leaves what it measured.
 */
final class BenchReport {
    private final PrintStream out;
    private final Path json;
    private final Map<String, Object> document = new LinkedHashMap<>();
    private final List<Map<String, Object>> goals = new ArrayList<>();

    BenchReport(PrintStream out, Path json) {
        this.out = out;
        this.json = json;
    }

    /** A top-level entry of the JSON document (machine, options). */
    void put(String key, Object value) {
        document.put(key, value);
    }

    /** Prints a line and flushes (the script tees it to a file). */
    void line(String format, Object... args) {
        out.println(String.format(Locale.ROOT, format, args));
        out.flush();
    }

    /**
     * A table: its title, then a Markdown header (the first {@code textColumns} columns left-aligned, the numbers
     * right-aligned); {@link Table#row} prints and records each row.
     */
    Table table(String key, String title, int textColumns, String... columns) {
        line("%n%s", title);
        line("| %s |", String.join(" | ", columns));
        StringBuilder rule = new StringBuilder("|");
        for (int i = 0; i < columns.length; i++) {
            rule.append(i < textColumns ? "---|" : "---:|");
        }
        line("%s", rule);
        List<Map<String, Object>> rows = new ArrayList<>();
        @SuppressWarnings("unchecked")
        Map<String, Object> tables = (Map<String, Object>) document.computeIfAbsent("tables",
                k -> new LinkedHashMap<String, Object>());
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("title", title);
        entry.put("rows", rows);
        tables.put(key, entry);
        return new Table(rows);
    }

    /** A section that could not run: recorded with its reason, the run goes on with the next one. */
    void failed(String section, Throwable e) {
        String reason = e.getClass().getSimpleName() + ": " + e.getMessage();
        line("%n%s: FAILED: %s", section, reason);
        @SuppressWarnings("unchecked")
        Map<String, Object> failures = (Map<String, Object>) document.computeIfAbsent("failures",
                k -> new LinkedHashMap<String, Object>());
        failures.put(section, reason);
        write();
    }

    /** A goal checked on the device: listed again at the end of the run and kept under "goals" in the JSON. */
    void goal(String goal, String measured, Boolean met) {
        goals.add(new LinkedHashMap<>(Map.of("goal", goal, "measured", measured,
                "met", met == null ? "unknown" : met ? "met" : "missed")));
        document.put("goals", goals);
    }

    /** The goals checked so far, one line each. */
    void printGoals() {
        line("%nGoals (issue #26), on the device:");
        if (goals.isEmpty()) {
            line("  (none measured)");
        }
        for (Map<String, Object> g : goals) {
            line("  %-7s %s: %s", g.get("met"), g.get("goal"), g.get("measured"));
        }
    }

    /** Writes the JSON document as it stands. */
    void write() {
        try {
            Files.createDirectories(json.getParent());
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), document);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + json, e);
        }
    }

    /** The rows of one table. */
    final class Table {
        private final List<Map<String, Object>> rows;

        private Table(List<Map<String, Object>> rows) {
            this.rows = rows;
        }

        /**
         * One row: {@code cells} are the printed cells in column order, {@code values} the JSON row (names and
         * numbers, unrounded).
         */
        void row(List<String> cells, Map<String, Object> values) {
            line("| %s |", String.join(" | ", cells));
            rows.add(values);
            write();
        }
    }

    /** A number with {@code digits} decimals, or "-" for NaN (not measured). */
    static String format(double value, int digits) {
        return Double.isNaN(value) ? "-" : String.format(Locale.ROOT, "%." + digits + "f", value);
    }

    /** A number with three significant digits (TFLOP/s of an H100 and of PoCL alike), or "-" for NaN. */
    static String significant(double value) {
        if (Double.isNaN(value)) {
            return "-";
        }
        int decimals = value == 0 ? 0 : Math.max(0, 2 - (int) Math.floor(Math.log10(Math.abs(value))));
        return String.format(Locale.ROOT, "%." + decimals + "f", value);
    }
}
