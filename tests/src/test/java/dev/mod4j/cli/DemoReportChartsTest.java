package dev.mod4j.cli;

import dev.mod4j.report.DemoFixture;
import dev.mod4j.report.HeadlessChromium;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The demo's report (every schedule the trained demo model can run: dense, FastV, PyramidDrop and the other training-free methods) as headless Chromium lays it out: every chart on the page is an SVG (a PNG
 * beside it as the fallback), each schedule's whole spec is a legend entry, and no text of any chart (legend entries,
 * wrapped axis labels, titles) reaches past the chart's edges.
 */
class DemoReportChartsTest {
    static final List<String> CHARTS = List.of("image-tokens-per-layer", "macs-per-layer", "latency");

    @TempDir
    Path tmp;

    @Test
    void everyChartIsSvgWithWholeLegendEntriesInsideIt() throws Exception {
        Path report = tmp.resolve("report");
        CliRun demo = CliRun.of("demo", "--cache-dir", DemoFixture.cacheRoot().toString(), "--report-dir",
                report.toString(), "--max-new-tokens", "3");
        assertEquals(0, demo.exitCode(), demo.err());
        String page = Files.readString(report.resolve("index.html"));
        List<String> specs = new ArrayList<>();
        Matcher row = Pattern.compile("<tr><td class=\"spec\">(?:<span[^>]*></span>)?(.*?)</td>").matcher(page);
        while (row.find()) {
            specs.add(row.group(1).replace("&amp;", "&"));
        }
        // The trained demo model has no routers, so the demo runs the training-free methods (γ-MoD and p-MoD need
        // their learned routers and are skipped with a line saying so).
        for (String method : List.of("dense", "fastv:", "pdrop:", "divprune", "dart:", "visionzip:", "sparsevlm:")) {
            assertTrue(specs.stream().anyMatch(s -> s.startsWith(method)), method + " among " + specs);
        }
        for (String chart : CHARTS) {
            assertTrue(page.contains("<img src=\"" + chart + ".svg\" onerror=\"this.onerror=null;this.src='" + chart
                    + ".png'\""), chart + " is shown as SVG, the PNG its fallback");
            assertTrue(Files.size(report.resolve(chart + ".png")) > 1000, chart + ".png");
            String svg = Files.readString(report.resolve(chart + ".svg"));
            assertTrue(svg.contains("<svg"), chart);
            if (!chart.equals("latency")) {
                for (String spec : specs) {
                    assertTrue(svg.contains(">" + escapeXml(spec) + "</text>"), chart + ": legend entry " + spec);
                }
            }
        }

        assumeTrue(HeadlessChromium.available(), HeadlessChromium.MISSING);
        assertTrue(HeadlessChromium.dumpDom(report.resolve("index.html"), tmp).contains("data-images-loaded=\"true\""),
                "every chart loaded");
        // The SVGs inline in one page, so the browser's own text layout can be measured (getBBox).
        StringBuilder harness = new StringBuilder("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><script>")
                .append(MEASURE).append("</script></head><body>");
        for (String chart : CHARTS) {
            String svg = Files.readString(report.resolve(chart + ".svg"));
            harness.append("<div>").append(svg.substring(svg.indexOf("<svg"))).append("</div>");
        }
        harness.append("</body></html>");
        Path measure = report.resolve("measure.html");
        Files.writeString(measure, harness);
        String dom = HeadlessChromium.dumpDom(measure, tmp);
        Matcher m = Pattern.compile("data-charts=\"(\\d+)\" data-texts=\"(\\d+)\" data-cut=\"([^\"]*)\"").matcher(dom);
        assertTrue(m.find(), dom.substring(0, Math.min(600, dom.length())));
        assertEquals("3", m.group(1));
        assertTrue(Integer.parseInt(m.group(2)) > 30, "texts measured: " + m.group(2));
        assertEquals("", m.group(3), "text past a chart's edge or shortened");
    }

    /** For every text of every inline SVG: its box within the SVG's width and height, and not ending in an ellipsis. */
    static final String MEASURE = """
            window.addEventListener('load', function () {
              var svgs = document.querySelectorAll('svg'), texts = 0, cut = [];
              svgs.forEach(function (svg) {
                var w = svg.width.baseVal.value, h = svg.height.baseVal.value;
                svg.querySelectorAll('text').forEach(function (t) {
                  texts++;
                  var b = t.getBBox(), m = t.getCTM(), p = svg.createSVGPoint(), q = svg.createSVGPoint();
                  p.x = b.x; p.y = b.y; q.x = b.x + b.width; q.y = b.y + b.height;
                  var c = t.getScreenCTM(), s = svg.getScreenCTM().inverse();
                  var a = p.matrixTransform(c).matrixTransform(s), z = q.matrixTransform(c).matrixTransform(s);
                  var x0 = Math.min(a.x, z.x), x1 = Math.max(a.x, z.x), y0 = Math.min(a.y, z.y), y1 = Math.max(a.y, z.y);
                  var text = t.textContent;
                  if (x0 < -0.5 || y0 < -0.5 || x1 > w + 0.5 || y1 > h + 0.5 || /(\\u2026|\\.\\.\\.)$/.test(text)) {
                    cut.push(text.replace(/"/g, "'") + ' [' + [x0, y0, x1, y1].map(Math.round) + ' of ' + w + 'x' + h + ']');
                  }
                });
              });
              document.body.setAttribute('data-charts', String(svgs.length));
              document.body.setAttribute('data-texts', String(texts));
              document.body.setAttribute('data-cut', cut.join(' | '));
            });
            """;

    private static String escapeXml(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
