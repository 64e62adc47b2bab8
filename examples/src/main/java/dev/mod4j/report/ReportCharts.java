package dev.mod4j.report;

import dev.mod4j.api.Comparison;
import dev.mod4j.runtime.compare.ScheduleRun;
import dev.mod4j.runtime.compare.Spread;
import dev.mod4j.runtime.prompt.TokenRole;
import dev.mod4j.runtime.schedule.LayerRecord;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.CategoryItemRendererState;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.plot.DefaultDrawingSupplier;
import org.jfree.chart.renderer.xy.XYStepRenderer;
import org.jfree.svg.SVGGraphics2D;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.category.CategoryDataset;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.Shape;
import java.awt.geom.Line2D;
import java.awt.geom.Rectangle2D;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The report's charts, drawn with JFreeChart: image tokens each layer processed, multiply-adds per layer, and
 * latency. Each schedule keeps its colour ({@link #color}) across charts and patch strips.
 */
public final class ReportCharts {
    /** Okabe–Ito colours (distinguishable with colour-blindness), one per method. */
    private static final Map<String, Color> METHOD_COLORS = Map.of(
            "dense", new Color(0x44, 0x44, 0x44), "fastv", new Color(0xE6, 0x9F, 0x00),
            "pdrop", new Color(0x00, 0x72, 0xB2), "gmod", new Color(0x00, 0x9E, 0x73),
            "pmod", new Color(0xCC, 0x79, 0xA7));
    /** Paul Tol's muted colours, for methods without their own: picked by the method's name, so stable. */
    private static final Color[] OTHER_METHOD_COLORS = {new Color(0x33, 0x22, 0x88), new Color(0x88, 0xCC, 0xEE),
            new Color(0x44, 0xAA, 0x99), new Color(0x11, 0x77, 0x33), new Color(0x99, 0x99, 0x33),
            new Color(0xDD, 0xCC, 0x77), new Color(0xCC, 0x66, 0x77), new Color(0x88, 0x22, 0x55),
            new Color(0xAA, 0x44, 0x99)};
    /** For a second run of a method. */
    private static final Color[] EXTRA_COLORS = {new Color(0xD5, 0x5E, 0x00), new Color(0x56, 0xB4, 0xE9),
            new Color(0xF0, 0xE4, 0x42), new Color(0x99, 0x99, 0x99)};
    private static final Font TITLE_FONT = new Font(Font.SANS_SERIF, Font.BOLD, 15);
    private static final Font LABEL_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
    private static final Color GRID = new Color(0xDD, 0xDD, 0xDD);

    private ReportCharts() {
    }

    /** The colour of run {@code index} of the comparison: its method's, or a spare one for a method seen before. */
    public static Color color(List<ScheduleRun> runs, int index) {
        java.util.Set<String> seen = new java.util.HashSet<>();
        int spares = 0;
        for (int i = 0; ; i++) {
            String method = method(runs.get(i).spec());
            boolean own = seen.add(method);
            if (i == index) {
                return own ? methodColor(method) : EXTRA_COLORS[spares % EXTRA_COLORS.length];
            }
            spares += own ? 0 : 1;
        }
    }

    /** mod4j's methods keep their colours; any other method gets one from a palette, by its name. */
    static Color methodColor(String method) {
        Color own = METHOD_COLORS.get(method);
        return own != null ? own : OTHER_METHOD_COLORS[Math.floorMod(method.hashCode(), OTHER_METHOD_COLORS.length)];
    }

    static String method(String spec) {
        int colon = spec.indexOf(':');
        return colon < 0 ? spec : spec.substring(0, colon);
    }

    /** A legend label: the spec, cut to 32 characters. */
    /** A schedule's name in a chart: its whole spec (legends wrap their entries onto rows, never cut them). */
    static String label(String spec) {
        return spec;
    }

    /** Image tokens each decoder layer processed in the prefill, one line per schedule. */
    public static JFreeChart imageTokensPerLayer(Comparison comparison) {
        XYSeriesCollection data = new XYSeriesCollection();
        for (ScheduleRun run : comparison.runs()) {
            XYSeries series = new XYSeries(label(run.spec()), false, true);
            for (LayerRecord r : run.prefillLayers()) {
                series.add(r.layer(), r.processed(TokenRole.IMAGE));
            }
            data.addSeries(series);
        }
        JFreeChart chart = ChartFactory.createXYLineChart("Image tokens processed per layer (prefill)",
                "decoder layer", "image tokens", data, PlotOrientation.VERTICAL, true, false, false);
        styleXY(chart, comparison.runs());
        return chart;
    }

    /** Multiply-adds of each decoder layer in the prefill, one line per schedule. */
    public static JFreeChart macsPerLayer(Comparison comparison) {
        long max = comparison.runs().stream().flatMap(r -> r.prefillLayers().stream()).mapToLong(LayerRecord::macs)
                .max().orElse(0);
        double unit = max >= 5e9 ? 1e9 : max >= 5e6 ? 1e6 : 1e3;
        String unitName = unit == 1e9 ? "GMACs" : unit == 1e6 ? "MMACs" : "kMACs";
        XYSeriesCollection data = new XYSeriesCollection();
        for (ScheduleRun run : comparison.runs()) {
            XYSeries series = new XYSeries(label(run.spec()), false, true);
            for (LayerRecord r : run.prefillLayers()) {
                series.add(r.layer(), r.macs() / unit);
            }
            data.addSeries(series);
        }
        JFreeChart chart = ChartFactory.createXYLineChart("Multiply-adds per layer (prefill, exact)",
                "decoder layer", unitName, data, PlotOrientation.VERTICAL, true, false, false);
        styleXY(chart, comparison.runs());
        ((NumberAxis) chart.getXYPlot().getRangeAxis()).setAutoRangeIncludesZero(true);
        return chart;
    }

    /**
     * Prefill time and decode time per token, one pair of bars per schedule: the median over the timed repeats, with
     * the range (min–max) as an error bar.
     */
    public static JFreeChart latency(Comparison comparison) {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        Map<String, Spread> ranges = new HashMap<>();
        for (ScheduleRun run : comparison.runs()) {
            Spread prefill = run.timings().prefillMillis();
            Spread decode = run.timings().decodeMillisPerToken();
            data.addValue(prefill.median(), "prefill (ms)", label(run.spec()));
            data.addValue(decode.median(), "decode (ms per token)", label(run.spec()));
            ranges.put("prefill (ms)\u0000" + label(run.spec()), prefill);
            ranges.put("decode (ms per token)\u0000" + label(run.spec()), decode);
        }
        int repeats = comparison.runs().stream().mapToInt(r -> r.timings().repeats()).max().orElse(1);
        String title = repeats == 1 ? "Latency (this machine, one run each)"
                : "Latency (this machine, median of " + repeats + " runs, bars: min–max)";
        JFreeChart chart = ChartFactory.createBarChart(title, null, "milliseconds",
                data, PlotOrientation.HORIZONTAL, true, false, false);
        style(chart);
        CategoryPlot plot = chart.getCategoryPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(GRID);
        plot.setOutlineVisible(false);
        plot.getDomainAxis().setTickLabelFont(LABEL_FONT);
        // Long schedule specs wrap onto up to four lines beside their bars rather than being cut.
        plot.getDomainAxis().setMaximumCategoryLabelLines(4);
        plot.getDomainAxis().setMaximumCategoryLabelWidthRatio(0.35f);
        plot.getRangeAxis().setTickLabelFont(LABEL_FONT);
        plot.getRangeAxis().setLabelFont(LABEL_FONT);
        BarRenderer renderer = new RangeBarRenderer(ranges);
        plot.setRenderer(renderer);
        double top = ranges.values().stream().mapToDouble(Spread::max).max().orElse(0);
        if (top > 0) {
            plot.getRangeAxis().setRange(0, top * 1.08); // room for the longest error bar
        }
        renderer.setBarPainter(new StandardBarPainter());
        renderer.setShadowVisible(false);
        renderer.setItemMargin(0.05);
        renderer.setSeriesPaint(0, new Color(0x00, 0x72, 0xB2));
        renderer.setSeriesPaint(1, new Color(0x9A, 0xC8, 0xEB));
        return chart;
    }

    /** Bars at the median with a whisker over the range (min–max) of each value, in horizontal plots. */
    private static final class RangeBarRenderer extends BarRenderer {
        private final Map<String, Spread> ranges;

        RangeBarRenderer(Map<String, Spread> ranges) {
            this.ranges = ranges;
        }

        @Override
        public void drawItem(Graphics2D g2, CategoryItemRendererState state, Rectangle2D dataArea, CategoryPlot plot,
                             CategoryAxis domainAxis, ValueAxis rangeAxis, CategoryDataset dataset, int row, int column,
                             int pass) {
            super.drawItem(g2, state, dataArea, plot, domainAxis, rangeAxis, dataset, row, column, pass);
            Spread range = ranges.get(dataset.getRowKey(row) + "\u0000" + dataset.getColumnKey(column));
            if (pass != 0 || range == null || range.count() < 2) {
                return;
            }
            PlotOrientation orientation = plot.getOrientation();
            double middle = calculateBarW0(plot, orientation, dataArea, domainAxis, state, row, column)
                    + state.getBarWidth() / 2;
            double low = rangeAxis.valueToJava2D(range.min(), dataArea, plot.getRangeAxisEdge());
            double high = rangeAxis.valueToJava2D(range.max(), dataArea, plot.getRangeAxisEdge());
            double cap = Math.max(2, state.getBarWidth() / 4);
            g2.setPaint(Color.DARK_GRAY);
            g2.setStroke(new BasicStroke(1.2f));
            if (orientation == PlotOrientation.HORIZONTAL) {
                g2.draw(new Line2D.Double(low, middle, high, middle));
                g2.draw(new Line2D.Double(low, middle - cap, low, middle + cap));
                g2.draw(new Line2D.Double(high, middle - cap, high, middle + cap));
            } else {
                g2.draw(new Line2D.Double(middle, low, middle, high));
                g2.draw(new Line2D.Double(middle - cap, low, middle + cap, low));
                g2.draw(new Line2D.Double(middle - cap, high, middle + cap, high));
            }
        }
    }

    /** Dash patterns (in line widths; null: solid) by series. */
    private static final float[][] DASHES = {null, {3, 1.5f}, {1, 1.2f}, {4, 1.5f, 1, 1.5f}, {6, 2}, {2, 2}};
    /** Marker shapes by series: JFreeChart's own set (square, circle, triangles, diamond, ...). */
    private static final Shape[] MARKERS = DefaultDrawingSupplier.createStandardSeriesShapes();

    private static float[] scale(float[] dash, float width) {
        float[] out = new float[dash.length];
        for (int i = 0; i < dash.length; i++) {
            out[i] = dash[i] * width;
        }
        return out;
    }

    /**
     * Writes {@code chart} as SVG of {@code width}×{@code height} (JFreeSVG), text kept as text: sharp at any size
     * and in print, and what the report shows (its PNG is the fallback).
     */
    public static void writeSvg(JFreeChart chart, Path file, int width, int height) {
        SVGGraphics2D g2 = new SVGGraphics2D(width, height);
        chart.draw(g2, new Rectangle2D.Double(0, 0, width, height));
        try {
            Files.writeString(file, g2.getSVGDocument());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write chart " + file, e);
        }
    }

    /** Writes {@code chart} as a PNG of {@code width}×{@code height} CSS pixels at twice the resolution (sharp on
     * high-density screens). */
    public static void writePng(JFreeChart chart, Path file, int width, int height) {
        try (OutputStream out = Files.newOutputStream(file)) {
            ChartUtils.writeScaledChartAsPNG(out, chart, width, height, 2, 2);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write chart " + file, e);
        }
    }

    private static void style(JFreeChart chart) {
        chart.setBackgroundPaint(Color.WHITE);
        chart.getTitle().setFont(TITLE_FONT);
        chart.getTitle().setPaint(new Color(0x22, 0x22, 0x22));
        LegendTitle legend = chart.getLegend();
        legend.setItemFont(LABEL_FONT);
        legend.setFrame(org.jfree.chart.block.BlockBorder.NONE);
        legend.setPosition(RectangleEdge.BOTTOM);
    }

    private static void styleXY(JFreeChart chart, List<ScheduleRun> runs) {
        style(chart);
        XYPlot plot = chart.getXYPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(GRID);
        plot.setRangeGridlinePaint(GRID);
        plot.setOutlineVisible(false);
        NumberAxis x = (NumberAxis) plot.getDomainAxis();
        x.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        x.setTickLabelFont(LABEL_FONT);
        x.setLabelFont(LABEL_FONT);
        NumberAxis y = (NumberAxis) plot.getRangeAxis();
        y.setTickLabelFont(LABEL_FONT);
        y.setLabelFont(LABEL_FONT);
        y.setAutoRangeIncludesZero(true);
        // Values are per layer: steps that change half-way between layers, a marker on each layer.
        XYStepRenderer renderer = new XYStepRenderer();
        renderer.setStepPoint(0.5);
        renderer.setDefaultShapesVisible(true);
        renderer.setDefaultShapesFilled(true);
        for (int i = 0; i < runs.size(); i++) {
            // Coinciding series stay visible: earlier ones wider, each with its own dash pattern and marker shape.
            float width = Math.max(1.6f, 4.5f - 0.9f * i);
            float[] dash = DASHES[i % DASHES.length];
            renderer.setSeriesPaint(i, color(runs, i));
            renderer.setSeriesStroke(i, dash == null
                    ? new BasicStroke(width, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER)
                    : new BasicStroke(width, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, scale(dash, width), 0f));
            renderer.setSeriesShape(i, MARKERS[i % MARKERS.length]);
        }
        plot.setRenderer(renderer);
    }
}
