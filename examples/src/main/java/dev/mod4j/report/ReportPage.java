package dev.mod4j.report;

import dev.mod4j.api.Comparison;
import dev.mod4j.runtime.accounting.FlopsConvention;

import java.awt.Color;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.IntSummaryStatistics;
import java.util.List;

/**
 * The report's HTML: one file, inline CSS, no external scripts, fonts or styles; images are files beside it. A small
 * inline script sets {@code data-images-loaded} on {@code <body>} to "true" once every image has loaded (what the
 * headless-browser test waits for), or "false" with the broken ones in {@code data-broken-images}.
 */
final class ReportPage {
    /** The files the page links to, relative to it. */
    record Files(String tokensChart, String macsChart, String latencyChart, String picture, List<String> strips,
                 List<Integer> stripLayers, boolean tiled, String schedulesCsv, String layersCsv, String traceArrow) {
    }

    static final String CSS = """
            :root { color-scheme: light; }
            body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; margin: 0;
                   background: #f6f7f9; color: #1d2330; line-height: 1.45; }
            main { max-width: 1120px; margin: 0 auto; padding: 28px 32px 48px; }
            h1 { font-size: 1.6rem; margin: 0 0 4px; }
            h2 { font-size: 1.15rem; margin: 0 0 12px; }
            .sub { color: #5b6475; margin: 0 0 18px; }
            section { background: #fff; border: 1px solid #e3e6eb; border-radius: 10px; padding: 18px 22px;
                      margin: 0 0 18px; }
            .note { background: #fff8e1; border-color: #f3d77a; }
            .note p { margin: 4px 0; }
            .scroll { overflow-x: auto; }
            table { border-collapse: collapse; width: 100%; font-size: 0.86rem; }
            th, td { padding: 6px 8px; border-bottom: 1px solid #eceef2; vertical-align: top; }
            th { text-align: left; font-weight: 600; color: #444c5c; background: #fafbfc; white-space: nowrap; }
            td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
            td.spec { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.8rem; max-width: 210px;
                      word-break: break-all; }
            td.out { color: #3a4250; max-width: 220px; overflow-wrap: anywhere; font-size: 0.8rem; }
            .swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; }
            .foot { color: #5b6475; font-size: 0.84rem; margin: 10px 0 0; }
            .charts { display: grid; grid-template-columns: 1fr 1fr; gap: 18px; }
            .charts img, .wide img { width: 100%; height: auto; }
            .strip { margin: 14px 0 6px; }
            .strip h3 { font-size: 0.92rem; margin: 0 0 6px; font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
            .strip img { max-width: 100%; height: auto; }
            .input { display: flex; gap: 18px; align-items: flex-start; }
            .input img { width: 168px; height: 168px; border-radius: 4px; image-rendering: auto; }
            .input img.tiled { width: auto; }
            code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.85rem; background: #f0f2f5;
                   padding: 1px 4px; border-radius: 3px; }
            ul { margin: 6px 0; }
            @media (max-width: 800px) { .charts { grid-template-columns: 1fr; } }
            """;

    private static final String SCRIPT = """
            window.addEventListener('load', function () {
              var images = Array.prototype.slice.call(document.images);
              var broken = images.filter(function (i) { return !(i.complete && i.naturalWidth > 0); });
              document.body.dataset.imageCount = String(images.length);
              document.body.dataset.brokenImages = broken.map(function (i) { return i.getAttribute('src'); }).join(' ');
              document.body.dataset.imagesLoaded = broken.length === 0 ? 'true' : 'false';
            });
            """;

    private ReportPage() {
    }

    static String html(Comparison c, String title, List<String> notes, Files files, FlopsConvention flops) {
        StringBuilder h = new StringBuilder(16_384);
        h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<title>").append(esc(title)).append("</title>\n<style>\n").append(CSS).append("</style>\n")
                .append("<script>\n").append(SCRIPT).append("</script>\n</head>\n<body>\n<main>\n");
        h.append("<h1>").append(esc(title)).append("</h1>\n<p class=\"sub\">model <code>").append(esc(c.model()))
                .append("</code> · ").append(c.prompt().length()).append(" prompt positions");
        if (files.picture() != null) {
            PatchStrips.Grid grid = PatchStrips.Grid.of(c.prompt());
            if (grid != null) {
                h.append(" (").append(grid.patches()).append(" image tokens, ").append(grid.side()).append("×")
                        .append(grid.side()).append(" patches)");
            }
        }
        h.append(" · ").append(c.runs().getFirst().generation().tokens().length).append(" reference tokens · ")
                .append(esc(ZonedDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm z"))))
                .append("</p>\n");
        if (!notes.isEmpty()) {
            h.append("<section class=\"note\">\n");
            notes.forEach(n -> h.append("<p>").append(esc(n)).append("</p>\n"));
            h.append("</section>\n");
        }
        h.append("<section>\n<h2>Question</h2>\n<p>").append(esc(c.question())).append("</p>\n</section>\n");
        table(h, c, flops);
        h.append("<section>\n<h2>Image tokens kept per layer</h2>\n<div class=\"wide\"><img src=\"")
                .append(files.tokensChart()).append("\"").append(pngFallback(files.tokensChart())).append(" alt=\"Image tokens each decoder layer processed, per schedule\"")
                .append(" width=\"1000\" height=\"420\"></div>\n</section>\n");
        if (!files.strips().isEmpty()) {
            strips(h, c, files);
        }
        h.append("<section>\n<h2>Cost</h2>\n<div class=\"charts\">\n<img src=\"").append(files.macsChart())
                .append("\"").append(pngFallback(files.macsChart()))
                .append(" alt=\"Multiply-adds per decoder layer, per schedule\" width=\"540\" height=\"380\">\n")
                .append("<img src=\"").append(files.latencyChart()).append("\"").append(pngFallback(files.latencyChart()))
                .append(" alt=\"Prefill and decode latency per schedule\" width=\"540\" height=\"380\">\n</div>\n")
                .append("<p class=\"foot\">Latency on this machine: the median of ").append(repeats(c))
                .append(" timed runs per schedule (error bars and the table's parentheses: min–max), after untimed")
                .append(" warm-up runs of every schedule (at least one each, half a second in all). On a model this small fixed costs dominate, so judge speed on a")
                .append(" real checkpoint. MACs are exact, counted from what each layer processed.</p>\n")
                .append("</section>\n");
        h.append("<section>\n<h2>Raw data</h2>\n<ul>\n")
                .append("<li><a href=\"").append(files.schedulesCsv()).append("\">").append(files.schedulesCsv())
                .append("</a>: one row per schedule, the table's numbers to six significant digits.</li>\n")
                .append("<li><a href=\"").append(files.layersCsv()).append("\">").append(files.layersCsv())
                .append("</a>: one row per schedule and prefill layer: tokens in, tokens processed by role, KV entries,")
                .append(" MACs.</li>\n")
                .append("<li><a href=\"").append(files.traceArrow()).append("\">").append(files.traceArrow())
                .append("</a>: the routing trace as Arrow IPC, one row per token and layer pass (columns schedule, step,")
                .append(" phase, layer, sequence_index, processed, gate, score); read it with")
                .append(" <code>pyarrow.ipc.open_file(...).read_all().to_pandas()</code>.</li>\n</ul>\n</section>\n");
        h.append("<p class=\"foot\">Made by mod4j's <code>ComparisonReport</code>.</p>\n</main>\n</body>\n</html>\n");
        return h.toString();
    }

    /** An SVG chart's onerror: show the PNG written beside it instead. */
    static String pngFallback(String chart) {
        return chart.endsWith(".svg") ? " onerror=\"this.onerror=null;this.src='"
                + esc(chart.substring(0, chart.length() - 4)) + ".png'\"" : "";
    }

    private static void table(StringBuilder h, Comparison c, FlopsConvention flops) {
        h.append("<section>\n<h2>Comparison</h2>\n<div class=\"scroll\"><table>\n<thead><tr>");
        for (String header : ComparisonTable.HEADERS) {
            h.append("<th>").append(esc(header)).append("</th>");
        }
        h.append("</tr></thead>\n<tbody>\n");
        List<ComparisonTable.Row> rows = ComparisonTable.rows(c.runs(), c.texts(), flops, c.shape());
        for (int i = 0; i < rows.size(); i++) {
            List<String> cells = rows.get(i).cells();
            h.append("<tr><td class=\"spec\"><span class=\"swatch\" style=\"background:")
                    .append(hex(ReportCharts.color(c.runs(), i))).append("\"></span>").append(esc(cells.get(0)))
                    .append("</td>");
            for (int k = 1; k < cells.size() - 2; k++) {
                h.append("<td class=\"num\">").append(esc(cells.get(k))).append("</td>");
            }
            h.append("<td class=\"spec\">").append(esc(cells.get(cells.size() - 2))).append("</td>");
            h.append("<td class=\"out\">").append(esc(cells.getLast())).append("</td></tr>\n");
        }
        h.append("</tbody>\n</table></div>\n<p class=\"foot\">agree: share of the first schedule's tokens reproduced at the")
                .append(" same position; diff@: first token that differs; FLOPs: prefill compute relative to the dense")
                .append(" model on the same prompt, counted as ").append(esc(flops.name().toLowerCase()))
                .append(flops == FlopsConvention.EXACT ? " (the multiply-adds mod4j performed, LM head included)"
                        : " (the paper's formula, docs/methods.md §2)")
                .append("; KV ratio: KV-cache bytes after generation relative to the first schedule; image tokens per")
                .append(" layer: run-length form (64×2 = 64 in two layers).</p>\n");
        if (!c.skipped().isEmpty()) {
            h.append("<p class=\"foot\">Skipped: ").append(esc(String.join("; ", c.skipped()))).append("</p>\n");
        }
        h.append("</section>\n");
    }

    private static void strips(StringBuilder h, Comparison c, Files files) {
        h.append("<section>\n<h2>Which image patches each layer processed</h2>\n<div class=\"input\"><img ")
                .append(files.tiled() ? "class=\"tiled\" " : "").append("src=\"").append(files.picture()).append("\" alt=\"The input image as the vision tower saw it\">\n<p>The input")
                .append(" image as the vision tower saw it. Below, for each schedule, the patches a decoder layer did")
                .append(" not process in the prefill are greyed out (skipped by a router, or dropped for good by")
                .append(" FastV and PyramidDrop), at layers ").append(files.stripLayers()).append(".");
        if (files.tiled()) {
            h.append(" A LLaVA-NeXT image: each panel shows the base view (left) and the tile grid (right), with the")
                    .append(" cells that unpadding cut away (never in the prompt) hatched, and the image_newline row")
                    .append(" after each grid row as a mark right of the grid (blue: processed).");
        }
        h.append("</p></div>\n");
        for (int i = 0; i < files.strips().size(); i++) {
            h.append("<div class=\"strip\"><h3><span class=\"swatch\" style=\"background:")
                    .append(hex(ReportCharts.color(c.runs(), i))).append("\"></span>")
                    .append(esc(c.runs().get(i).spec())).append("</h3><img src=\"").append(files.strips().get(i))
                    .append("\" alt=\"").append(esc(c.runs().get(i).spec())).append(": processed patches per layer\">")
                    .append("</div>\n");
        }
        h.append("</section>\n");
    }

    /** "3" or "1–3": the timed repeats behind the runs' times. */
    private static String repeats(Comparison c) {
        IntSummaryStatistics n = c.runs().stream().mapToInt(r -> r.timings().repeats()).summaryStatistics();
        return n.getMin() == n.getMax() ? String.valueOf(n.getMin()) : n.getMin() + "–" + n.getMax();
    }

    private static String hex(Color color) {
        return String.format("#%02x%02x%02x", color.getRed(), color.getGreen(), color.getBlue());
    }

    static String esc(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(ch);
            }
        }
        return sb.toString();
    }
}
