package dev.mod4j.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mod4j.eval.EvalResult;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import java.awt.geom.Ellipse2D;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A run's results table (benchmark × schedule → score, mean prefill ms, FLOPs ratio, KV bytes) as
 * {@code results.csv}, {@code results.json} and {@code results.html}, the page with a score-vs-FLOPs chart per
 * benchmark ({@code results-BENCHMARK.svg}, with {@code results-BENCHMARK.png} beside it as the page's fallback).
 */
public final class EvalResultsReport {
    public static final List<String> CSV_HEADERS = List.of("benchmark", "schedule", "metric", "score", "answered",
            "questions", "mean_prefill_ms", "flops_ratio", "mean_kv_cache_bytes", "answers");

    private EvalResultsReport() {
    }

    /** Writes the three files into {@code folder}; returns the HTML page's path. */
    public static Path write(Path folder, String title, List<EvalResult> rows) {
        try {
            Files.createDirectories(folder);
            ReportCsv.write(folder.resolve("results.csv"), csv(rows));
            Files.writeString(folder.resolve("results.json"), json(rows));
            Map<String, List<EvalResult>> byBenchmark = new LinkedHashMap<>();
            rows.forEach(r -> byBenchmark.computeIfAbsent(r.benchmark(), k -> new ArrayList<>()).add(r));
            Map<String, String> charts = new LinkedHashMap<>();
            byBenchmark.forEach((benchmark, list) -> {
                // SVG on the page (sharp in print), the PNG beside it its fallback, as in compare's report.
                String name = "results-" + benchmark.replaceAll("[^A-Za-z0-9.\\-]", "_");
                JFreeChart chart = scoreVsFlops(benchmark, list);
                ReportCharts.writeSvg(chart, folder.resolve(name + ".svg"), 560, 360);
                ReportCharts.writePng(chart, folder.resolve(name + ".png"), 560, 360);
                charts.put(benchmark, name + ".svg");
            });
            Path html = folder.resolve("results.html");
            Files.writeString(html, html(title, rows, charts));
            return html;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the results into " + folder, e);
        }
    }

    public static String csv(List<EvalResult> rows) {
        List<String> lines = new ArrayList<>();
        lines.add(String.join(",", CSV_HEADERS));
        for (EvalResult r : rows) {
            lines.add(String.join(",", ReportCsv.field(r.benchmark()), ReportCsv.field(r.schedule()),
                    ReportCsv.field(r.metric()), ReportCsv.number(r.score()), String.valueOf(r.answered()),
                    String.valueOf(r.questions()), ReportCsv.number(r.meanPrefillMillis()),
                    ReportCsv.number(r.flopsRatio()), ReportCsv.number(r.meanKvCacheBytes()),
                    ReportCsv.field(r.answers().toString())));
        }
        return String.join("\r\n", lines) + "\r\n";
    }

    public static String json(List<EvalResult> rows) {
        ArrayNode array = JsonNodeFactory.instance.arrayNode();
        for (EvalResult r : rows) {
            ObjectNode o = array.addObject();
            o.put("benchmark", r.benchmark());
            o.put("schedule", r.schedule());
            o.put("metric", r.metric());
            number(o, "score", r.score());
            o.put("answered", r.answered());
            o.put("questions", r.questions());
            number(o, "mean_prefill_ms", r.meanPrefillMillis());
            number(o, "flops_ratio", r.flopsRatio());
            number(o, "mean_kv_cache_bytes", r.meanKvCacheBytes());
            o.put("answers", r.answers().toString());
            ObjectNode details = o.putObject("details");
            new TreeMap<>(r.details()).forEach((k, v) -> number(details, k, v));
        }
        try {
            return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(array) + "\n";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** NaN (nothing to score) as JSON null. */
    private static void number(ObjectNode o, String name, double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            o.putNull(name);
        } else {
            o.put(name, v);
        }
    }

    /** One point per schedule: prefill FLOPs relative to dense (x) against the benchmark's score (y). */
    static JFreeChart scoreVsFlops(String benchmark, List<EvalResult> rows) {
        XYSeriesCollection data = new XYSeriesCollection();
        for (EvalResult r : rows) {
            XYSeries s = new XYSeries(ReportCharts.label(r.schedule()), false, true);
            if (!Double.isNaN(r.flopsRatio()) && !Double.isNaN(r.score())) {
                s.add(100 * r.flopsRatio(), r.score());
            }
            data.addSeries(s);
        }
        String metric = rows.getFirst().metric();
        JFreeChart chart = ChartFactory.createXYLineChart(benchmark + ": " + metric + " vs prefill FLOPs",
                "prefill FLOPs, % of dense", metric, data, PlotOrientation.VERTICAL, true, false, false);
        chart.setBackgroundPaint(java.awt.Color.WHITE);
        XYPlot plot = chart.getXYPlot();
        plot.setBackgroundPaint(java.awt.Color.WHITE);
        plot.setDomainGridlinePaint(new java.awt.Color(0xDD, 0xDD, 0xDD));
        plot.setRangeGridlinePaint(new java.awt.Color(0xDD, 0xDD, 0xDD));
        ((NumberAxis) plot.getDomainAxis()).setAutoRangeIncludesZero(true);
        ((NumberAxis) plot.getRangeAxis()).setAutoRangeIncludesZero(true);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(false, true);
        for (int i = 0; i < rows.size(); i++) {
            renderer.setSeriesPaint(i, ReportCharts.methodColor(ReportCharts.method(rows.get(i).schedule())));
            renderer.setSeriesShape(i, new Ellipse2D.Double(-6, -6, 12, 12));
        }
        plot.setRenderer(renderer);
        return chart;
    }

    static String html(String title, List<EvalResult> rows, Map<String, String> charts) {
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>")
                .append(ReportPage.esc(title)).append("</title><style>").append(ReportPage.CSS)
                .append("</style></head><body><main>\n<h1>").append(ReportPage.esc(title)).append("</h1>\n")
                .append("<p class=\"sub\">Scores as the benchmarks' own scripts compute them; FLOPs are the prefill's"
                        + " exact multiply-adds relative to the dense model on the same prompts; prefill ms and KV"
                        + " bytes are means over the answers.</p>\n");
        h.append("<section><h2>Results</h2><div class=\"scroll\"><table><tr>");
        for (String c : List.of("benchmark", "schedule", "metric", "score", "answered", "prefill ms", "FLOPs",
                "KV bytes")) {
            h.append("<th>").append(c).append("</th>");
        }
        h.append("</tr>\n");
        for (EvalResult r : rows) {
            h.append("<tr><td>").append(ReportPage.esc(r.benchmark())).append("</td><td class=\"spec\">")
                    .append(ReportPage.esc(r.schedule())).append("</td><td>").append(ReportPage.esc(r.metric()))
                    .append("</td><td class=\"num\">").append(format("%.2f", r.score()))
                    .append("</td><td class=\"num\">").append(r.answered()).append(" / ").append(r.questions())
                    .append("</td><td class=\"num\">").append(format("%.1f", r.meanPrefillMillis()))
                    .append("</td><td class=\"num\">").append(format("%.1f%%", 100 * r.flopsRatio()))
                    .append("</td><td class=\"num\">").append(Double.isNaN(r.meanKvCacheBytes()) ? "-"
                            : ComparisonTable.bytes(Math.round(r.meanKvCacheBytes()))).append("</td></tr>\n");
        }
        h.append("</table></div></section>\n<section><h2>Score against compute</h2><div class=\"charts\">\n");
        charts.forEach((benchmark, svg) -> h.append("<img src=\"").append(ReportPage.esc(svg)).append("\"")
                .append(ReportPage.pngFallback(svg)).append(" alt=\"")
                .append(ReportPage.esc(benchmark)).append(" score against prefill FLOPs\">\n"));
        h.append("</div></section>\n</main></body></html>\n");
        return h.toString();
    }

    private static String format(String pattern, double v) {
        return Double.isNaN(v) ? "-" : String.format(pattern, v);
    }
}
