package dev.mod4j.report;

import dev.mod4j.api.Comparison;
import dev.mod4j.runtime.accounting.FlopsConvention;
import dev.mod4j.runtime.compare.ScheduleRun;
import dev.mod4j.runtime.schedule.RoutingTrace;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A comparison of token schedules as a self-contained HTML page: the comparison table (the numbers
 * {@code mod4j compare} prints), charts of the image tokens and multiply-adds per layer and of latency, for each
 * schedule a strip of the input image with the patches skipped at a few layers greyed out (for a LLaVA-NeXT image: its
 * base view and tile grid, see {@link #tiled}), and the raw numbers
 * (CSV) and routing trace (Arrow IPC) beside it. Open {@code index.html} in any browser; no server, no network.
 *
 * <pre>{@code
 * Comparison c = llava.request(image, "What is in the picture?").maxNewTokens(16).compare();
 * Path page = ComparisonReport.of(c).note("Random weights: outputs are noise.").write(Path.of("report"));
 * }</pre>
 * Files written into the directory: {@value #PAGE}, {@code image-tokens-per-layer.svg}, {@code macs-per-layer.svg},
 * {@code latency.svg} (each with a PNG beside it, the page's fallback), {@code input.png} and {@code strip-N-METHOD.png} (when the prompt has an image),
 * {@code comparison.csv}, {@code layers.csv}, {@code trace.arrow}. Existing files of those names are replaced.
 */
public final class ComparisonReport {
    /** The page's file name. */
    public static final String PAGE = "index.html";

    static {
        // Charts and strips are drawn off-screen; never try to reach a display.
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    private final Comparison comparison;
    private String title = "mod4j: token schedules compared";
    private final List<String> notes = new ArrayList<>();
    private List<Integer> stripLayers;
    private FlopsConvention flops = FlopsConvention.EXACT;
    private TiledPatchStrips.Layout tiled;

    private ComparisonReport(Comparison comparison) {
        this.comparison = comparison;
    }

    /** A report of {@code comparison} (from {@code Llava.compare} or built by hand). */
    public static ComparisonReport of(Comparison comparison) {
        return new ComparisonReport(comparison);
    }

    public Comparison comparison() {
        return comparison;
    }

    /** The page's heading. */
    public ComparisonReport title(String newTitle) {
        this.title = newTitle;
        return this;
    }

    /** Adds a paragraph to the highlighted box at the top (e.g. that the model is untrained). */
    public ComparisonReport note(String paragraph) {
        notes.add(paragraph);
        return this;
    }

    /** How the table counts prefill compute (default {@link FlopsConvention#EXACT}; or a paper's formula). */
    public ComparisonReport flops(FlopsConvention convention) {
        this.flops = convention;
        return this;
    }

    /**
     * The image is a LLaVA-NeXT (anyres) image laid out as {@code layout}: the strips show its base view and tile
     * grid ({@link TiledPatchStrips}) instead of one square patch grid.
     */
    public ComparisonReport tiled(TiledPatchStrips.Layout layout) {
        this.tiled = layout;
        return this;
    }

    /** The decoder layers shown in the patch strips (default: {@link PatchStrips#defaultLayers}). */
    public ComparisonReport stripLayers(int... layers) {
        int count = comparison.reference().prefillLayers().size();
        List<Integer> list = new ArrayList<>();
        for (int l : layers) {
            if (l < 0 || l >= count) {
                throw new IllegalArgumentException("layer " + l + " is not in 0.." + (count - 1));
            }
            list.add(l);
        }
        this.stripLayers = list;
        return this;
    }

    /** Writes the page and its files into {@code directory} (created if needed); returns the page's path. */
    public Path write(Path directory) {
        try {
            Files.createDirectories(directory);
            List<ScheduleRun> runs = comparison.runs();
            chart(ReportCharts.imageTokensPerLayer(comparison), directory, "image-tokens-per-layer", 1000, 420);
            chart(ReportCharts.macsPerLayer(comparison), directory, "macs-per-layer", 540, 380);
            chart(ReportCharts.latency(comparison), directory, "latency", 540, 380);

            String picture = null;
            List<String> strips = new ArrayList<>();
            List<Integer> layers = stripLayers != null ? stripLayers : PatchStrips.defaultLayers(runs);
            PatchStrips.Grid grid = PatchStrips.Grid.of(comparison.prompt());
            if (tiled != null) {
                picture = "input.png";
                png(TiledPatchStrips.input(tiled), directory.resolve(picture));
                for (int i = 0; i < runs.size(); i++) {
                    String name = "strip-" + (i + 1) + "-" + ReportCharts.method(runs.get(i).spec()) + ".png";
                    png(TiledPatchStrips.strip(tiled, runs.get(i), layers), directory.resolve(name));
                    strips.add(name);
                }
            } else if (comparison.picture() != null && grid != null) {
                picture = "input.png";
                png(PatchStrips.scaled(comparison.picture(), 336), directory.resolve(picture));
                for (int i = 0; i < runs.size(); i++) {
                    String name = "strip-" + (i + 1) + "-" + ReportCharts.method(runs.get(i).spec()) + ".png";
                    png(PatchStrips.strip(comparison.picture(), grid, runs.get(i), layers), directory.resolve(name));
                    strips.add(name);
                }
            }
            ReportCsv.write(directory.resolve("comparison.csv"), ReportCsv.schedules(comparison, flops));
            ReportCsv.write(directory.resolve("layers.csv"), ReportCsv.layers(comparison));
            Map<String, RoutingTrace> traces = new LinkedHashMap<>();
            for (ScheduleRun run : runs) {
                String key = run.spec();
                for (int n = 2; traces.containsKey(key); n++) {
                    key = run.spec() + " #" + n;
                }
                traces.put(key, run.trace());
            }
            TraceExport.writeArrow(traces, directory.resolve("trace.arrow"));

            var files = new ReportPage.Files("image-tokens-per-layer.svg", "macs-per-layer.svg", "latency.svg", picture,
                    strips, layers, tiled != null, "comparison.csv", "layers.csv", "trace.arrow");
            Path page = directory.resolve(PAGE);
            Files.writeString(page, ReportPage.html(comparison, title, notes, files, flops));
            return page;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the report into " + directory, e);
        }
    }

    /** NAME.svg, which the page shows, and NAME.png, its fallback for viewers without SVG. */
    private static void chart(org.jfree.chart.JFreeChart chart, Path directory, String name, int width, int height) {
        ReportCharts.writeSvg(chart, directory.resolve(name + ".svg"), width, height);
        ReportCharts.writePng(chart, directory.resolve(name + ".png"), width, height);
    }

    private static void png(BufferedImage image, Path file) throws IOException {
        if (!ImageIO.write(image, "png", file.toFile())) {
            throw new IOException("no PNG writer in this JDK");
        }
    }
}
