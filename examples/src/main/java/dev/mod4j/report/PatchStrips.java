package dev.mod4j.report;

import dev.mod4j.api.RgbImage;
import dev.mod4j.runtime.compare.ScheduleRun;
import dev.mod4j.runtime.prompt.PromptRows;
import dev.mod4j.runtime.prompt.TokenRole;
import dev.mod4j.runtime.schedule.LayerRecord;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * The γ-MoD paper's picture of routing (its visualisation of skipped tokens): the input image at several layers,
 * with the patches a layer did not process greyed out. Made from the routing trace: image patch p (row-major over
 * the tower's patch grid) is prompt position {@code imageStart + p}; a layer processed it iff that position is in
 * its prefill record's {@link LayerRecord#processed()} (for images reduced in the vision tower, image row r stands
 * for the patch the trace records for it).
 */
public final class PatchStrips {
    /** At most this many layers in a strip. */
    public static final int MAX_PANELS = 6;
    private static final int GAP = 12;
    private static final int CAPTION = 22;
    private static final Font CAPTION_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 12);

    private PatchStrips() {
    }

    /**
     * The image's patch grid in the prompt: first position and patches per side, or null when the prompt has no
     * image or its image rows are not a square grid (the class token, kept by the "full" strategy, is skipped).
     */
    public record Grid(int imageStart, int side) {
        public int patches() {
            return side * side;
        }

        public static Grid of(PromptRows prompt) {
            int start = prompt.imageStart();
            if (start < 0) {
                return null;
            }
            int rows = 0;
            while (start + rows < prompt.length() && prompt.roles()[start + rows] == TokenRole.IMAGE) {
                rows++;
            }
            int side = (int) Math.round(Math.sqrt(rows));
            if (side * side == rows) {
                return new Grid(start, side);
            }
            side = (int) Math.round(Math.sqrt(rows - 1));
            return side * side == rows - 1 ? new Grid(start + 1, side) : null;
        }
    }

    /**
     * Layers worth showing, common to all runs: the first, every layer where some run's image-token count changes,
     * and the last; thinned evenly to {@link #MAX_PANELS}.
     */
    public static List<Integer> defaultLayers(List<ScheduleRun> runs) {
        int layers = runs.getFirst().prefillLayers().size();
        TreeSet<Integer> picked = new TreeSet<>();
        picked.add(0);
        for (ScheduleRun run : runs) {
            int[] counts = run.imageTokensPerLayer();
            for (int l = 1; l < counts.length; l++) {
                if (counts[l] != counts[l - 1]) {
                    picked.add(l);
                }
            }
        }
        picked.add(layers - 1);
        List<Integer> all = new ArrayList<>(picked);
        if (all.size() <= MAX_PANELS) {
            return all;
        }
        List<Integer> thinned = new ArrayList<>();
        for (int i = 0; i < MAX_PANELS; i++) {
            int index = (int) Math.round(i * (all.size() - 1) / (double) (MAX_PANELS - 1));
            thinned.add(all.get(index));
        }
        return thinned;
    }

    /** Which patches layer {@code layer} processed in the prefill of {@code run}. */
    public static boolean[] processedPatches(ScheduleRun run, Grid grid, int layer) {
        boolean[] kept = new boolean[grid.patches()];
        LayerRecord record = run.prefillLayers().get(layer);
        // Images reduced in the tower (VisionZip): image row r stands for patch patchOfRow[r].
        int[] patchOfRow = run.trace().towerPatchOfImageRow();
        for (int position : record.processed()) {
            int patch = position - grid.imageStart();
            if (patchOfRow != null) {
                patch = patch >= 0 && patch < patchOfRow.length ? patchOfRow[patch] : -1;
            }
            if (patch >= 0 && patch < kept.length) {
                kept[patch] = true;
            }
        }
        return kept;
    }

    /** Panels side by side, one per layer, each captioned "layer L · kept/total". */
    public static BufferedImage strip(RgbImage picture, Grid grid, ScheduleRun run, List<Integer> layers) {
        int cell = Math.max(1, Math.round(168f / grid.side()));
        int panel = cell * grid.side();
        BufferedImage source = scaled(picture, panel);
        int width = layers.size() * panel + (layers.size() - 1) * GAP;
        BufferedImage out = new BufferedImage(width, panel + CAPTION, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = captionCanvas(out);
        FontMetrics metrics = g.getFontMetrics();
        for (int i = 0; i < layers.size(); i++) {
            int layer = layers.get(i);
            boolean[] kept = processedPatches(run, grid, layer);
            int x0 = i * (panel + GAP);
            g.drawImage(masked(source, kept, grid.side(), cell), x0, 0, null);
            int count = 0;
            for (boolean k : kept) {
                count += k ? 1 : 0;
            }
            String caption = "layer " + layer + " · " + count + "/" + kept.length;
            g.setColor(new Color(0x33, 0x33, 0x33));
            g.drawString(caption, x0 + (panel - metrics.stringWidth(caption)) / 2, panel + 16);
        }
        g.dispose();
        return out;
    }

    /** Skipped patches become pale grey with a trace of their content; kept ones stay as they are. */
    static BufferedImage masked(BufferedImage source, boolean[] kept, int side, int cell) {
        BufferedImage out = new BufferedImage(source.getWidth(), source.getHeight(), BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < source.getHeight(); y++) {
            for (int x = 0; x < source.getWidth(); x++) {
                int rgb = source.getRGB(x, y);
                int patch = Math.min(side - 1, y / cell) * side + Math.min(side - 1, x / cell);
                if (!kept[patch]) {
                    rgb = skipped(rgb, x % cell == 0 || y % cell == 0, cell);
                }
                out.setRGB(x, y, rgb);
            }
        }
        return out;
    }

    /** A skipped patch's pixel: pale grey with a trace of its content, a darker line on the cell's edge. */
    static int skipped(int rgb, boolean edge, int cell) {
        int luma = (299 * (rgb >> 16 & 0xFF) + 587 * (rgb >> 8 & 0xFF) + 114 * (rgb & 0xFF)) / 1000;
        int grey = (int) (0.25 * luma + 0.75 * 226);
        grey = edge && cell >= 6 ? grey - 14 : grey;
        return grey << 16 | grey << 8 | grey;
    }

    /** The picture scaled to {@code size}×{@code size} (bilinear). */
    public static BufferedImage scaled(RgbImage picture, int size) {
        BufferedImage out = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(picture.toBufferedImage(), 0, 0, size, size, null);
        g.dispose();
        return out;
    }

    /** A white picture with antialiased caption text in the strips' caption font, for drawing panels on. */
    static Graphics2D captionCanvas(BufferedImage out) {
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, out.getWidth(), out.getHeight());
        g.setFont(CAPTION_FONT);
        return g;
    }
}
