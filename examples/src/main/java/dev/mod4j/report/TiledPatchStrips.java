package dev.mod4j.report;

import dev.mod4j.api.ImageInput;
import dev.mod4j.api.RgbImage;
import dev.mod4j.runtime.compare.ScheduleRun;
import dev.mod4j.runtime.llava.AnyresPacking;
import dev.mod4j.runtime.llava.MultimodalModel;
import dev.mod4j.runtime.llava.PreprocessedImage;
import dev.mod4j.runtime.schedule.LayerRecord;

import java.awt.Color;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link PatchStrips} for a LLaVA-NeXT (anyres) image: each layer's panel shows the base view (its p×p patches) and
 * the tile grid (gridRows·p × gridColumns·p feature cells, the tiles as the tower saw them), with what the layer did
 * not process greyed out, the cells {@code unpad_image} cut away (never in the prompt) hatched, and the
 * {@code image_newline} row after each grid row as a mark right of the grid (blue: processed, pale: not). Image row i
 * of the prompt is where {@link AnyresPacking#sourceRows} says: base patch s (s &lt; p²), tile c−1's patch s mod p²
 * (s = c·p² + …), or a newline. A run whose images were reduced in the tower (VisionZip) is drawn from the patch its
 * trace records for each of its image rows ({@code RoutingTrace#towerPatchOfImageRow}, the same crop numbering; a
 * class-token row is not drawn): the cells it dropped are greyed, and nothing is hatched, since its packing
 * (VisionZip's {@code restore_image_features_sorted}) does not unpad.
 */
public final class TiledPatchStrips {
    private static final int BASE_PX = 112;
    private static final int GRID_PX = 224;
    private static final int GAP = 6;
    private static final int PANEL_GAP = 14;
    private static final int CAPTION = 22;
    static final Color NEWLINE_KEPT = new Color(0x33, 0x66, 0xcc);
    static final Color NEWLINE_SKIPPED = new Color(0xdd, 0xdd, 0xdd);
    static final Color UNPADDED_DARK = new Color(0x3a, 0x3a, 0x3a);
    static final Color UNPADDED_LIGHT = new Color(0x6a, 0x6a, 0x6a);
    /** In a reduced run's source rows: a class-token row, drawn nowhere. */
    private static final int CLASS_TOKEN = -2;

    private TiledPatchStrips() {
    }

    /**
     * One anyres image in the prompt.
     *
     * @param base           the base view as the tower saw it (S×S)
     * @param tiles          the tiles as the tower saw them, row-major over the grid (each S×S)
     * @param patchesPerSide p: the tower's patches per side
     * @param imageStart     the prompt position of the image's first row
     * @param sourceRows     {@link AnyresPacking#sourceRows} of the image: what each of its prompt rows is
     */
    public record Layout(RgbImage base, List<RgbImage> tiles, int gridRows, int gridColumns, int patchesPerSide,
                         int imageStart, int[] sourceRows) {
        public Layout {
            tiles = List.copyOf(tiles);
            if (tiles.size() != gridRows * gridColumns) {
                throw new IllegalArgumentException(tiles.size() + " tiles for a " + gridRows + "×" + gridColumns
                        + " grid");
            }
        }

        /** {@code image}'s layout in a prompt of {@code model} where its rows start at {@code imageStart}. */
        public static Layout of(MultimodalModel model, PreprocessedImage image, int imageStart) {
            List<RgbImage> tiles = new ArrayList<>();
            for (int c = 1; c < image.crops(); c++) {
                tiles.add(ImageInput.ofPixels("tile " + c, image.crop(c)).picture(model));
            }
            return new Layout(ImageInput.ofPixels("base", image.crop(0)).picture(model), tiles, image.gridRows(),
                    image.gridColumns(), model.visionConfig().patchesPerSide(), imageStart,
                    model.anyresPacking().sourceRows(image, model.rowsPerImage()));
        }

        /** This layout with the image rows of a prompt reduced in the tower: the patch each row stands for. */
        Layout reducedInTower(int[] patchOfImageRow) {
            int[] rows = new int[patchOfImageRow.length];
            for (int i = 0; i < rows.length; i++) {
                rows[i] = patchOfImageRow[i] < 0 ? CLASS_TOKEN : patchOfImageRow[i];
            }
            return new Layout(base, tiles, gridRows, gridColumns, patchesPerSide, imageStart, rows);
        }

        int gridHeight() {
            return gridRows * patchesPerSide;
        }

        int gridWidth() {
            return gridColumns * patchesPerSide;
        }
    }

    /** Where each prompt row of the image is drawn: a base patch, a grid cell (y·gridWidth + x) or a newline row. */
    record Cells(int[] basePatch, int[] gridCell, int[] newlineRow, boolean[] inWindow) {
        static Cells of(Layout layout) {
            int p = layout.patchesPerSide();
            int perCrop = p * p;
            int n = layout.sourceRows().length;
            int[] base = new int[n];
            int[] grid = new int[n];
            int[] newline = new int[n];
            boolean[] inWindow = new boolean[layout.gridHeight() * layout.gridWidth()];
            int lastRow = -1;
            for (int i = 0; i < n; i++) {
                int s = layout.sourceRows()[i];
                base[i] = -1;
                grid[i] = -1;
                newline[i] = -1;
                if (s == CLASS_TOKEN) {
                    continue;
                } else if (s == AnyresPacking.NEWLINE) {
                    newline[i] = lastRow;
                } else if (s < perCrop) {
                    base[i] = s;
                } else {
                    int tile = s / perCrop - 1;
                    int y = tile / layout.gridColumns() * p + s % perCrop / p;
                    int x = tile % layout.gridColumns() * p + s % perCrop % p;
                    grid[i] = y * layout.gridWidth() + x;
                    inWindow[grid[i]] = true;
                    lastRow = y;
                }
            }
            return new Cells(base, grid, newline, inWindow);
        }

        /** These cells with every grid cell in the prompt's window (a packing that does not unpad). */
        Cells unpadded() {
            boolean[] all = new boolean[inWindow.length];
            java.util.Arrays.fill(all, true);
            return new Cells(basePatch, gridCell, newlineRow, all);
        }
    }

    /** What a layer did with the image: processed base patches, grid cells and newline rows. */
    record Processed(boolean[] base, boolean[] grid, boolean[] newlineRows, int rows) {
    }

    static Processed processed(Layout layout, Cells cells, ScheduleRun run, int layer) {
        int p = layout.patchesPerSide();
        boolean[] base = new boolean[p * p];
        boolean[] grid = new boolean[layout.gridHeight() * layout.gridWidth()];
        boolean[] newline = new boolean[layout.gridHeight()];
        LayerRecord record = run.prefillLayers().get(layer);
        int rows = 0;
        for (int position : record.processed()) {
            int i = position - layout.imageStart();
            if (i < 0 || i >= layout.sourceRows().length) {
                continue;
            }
            rows++;
            if (cells.basePatch()[i] >= 0) {
                base[cells.basePatch()[i]] = true;
            } else if (cells.gridCell()[i] >= 0) {
                grid[cells.gridCell()[i]] = true;
            } else if (cells.newlineRow()[i] >= 0) {
                newline[cells.newlineRow()[i]] = true;
            }
        }
        return new Processed(base, grid, newline, rows);
    }

    /** Pixel geometry of one panel: cell sizes and where the base view, the grid and the newline marks start. */
    record Geometry(int baseCell, int gridCell, int gridX, int newlineX, int panelWidth, int panelHeight) {
        static Geometry of(Layout layout) {
            int baseCell = Math.max(1, Math.round(BASE_PX / (float) layout.patchesPerSide()));
            int gridCell = Math.max(1, Math.round(GRID_PX / (float) Math.max(layout.gridWidth(),
                    layout.gridHeight())));
            int gridX = baseCell * layout.patchesPerSide() + GAP;
            int newlineX = gridX + gridCell * layout.gridWidth() + 3;
            int width = newlineX + Math.max(3, gridCell);
            int height = Math.max(baseCell * layout.patchesPerSide(), gridCell * layout.gridHeight());
            return new Geometry(baseCell, gridCell, gridX, newlineX, width, height);
        }
    }

    /** Panels side by side, one per layer, each captioned "layer L · processed/image rows". */
    public static BufferedImage strip(Layout layout, ScheduleRun run, List<Integer> layers) {
        int denseRows = layout.sourceRows().length;
        int[] reduced = run.trace().towerPatchOfImageRow();
        if (reduced != null) {
            layout = layout.reducedInTower(reduced);
        }
        Cells cells = reduced == null ? Cells.of(layout) : Cells.of(layout).unpadded();
        Geometry geo = Geometry.of(layout);
        int p = layout.patchesPerSide();
        BufferedImage base = PatchStrips.scaled(layout.base(), geo.baseCell() * p);
        BufferedImage grid = gridPicture(layout, geo.gridCell() * layout.gridWidth(),
                geo.gridCell() * layout.gridHeight());
        int width = layers.size() * geo.panelWidth() + (layers.size() - 1) * PANEL_GAP;
        BufferedImage out = new BufferedImage(width, geo.panelHeight() + CAPTION, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = PatchStrips.captionCanvas(out);
        FontMetrics metrics = g.getFontMetrics();
        for (int i = 0; i < layers.size(); i++) {
            int x0 = i * (geo.panelWidth() + PANEL_GAP);
            Processed done = processed(layout, cells, run, layers.get(i));
            g.drawImage(PatchStrips.masked(base, done.base(), p, geo.baseCell()), x0, 0, null);
            g.drawImage(shadedGrid(grid, done.grid(), cells.inWindow(), layout.gridWidth(), geo.gridCell()),
                    x0 + geo.gridX(), 0, null);
            for (int y = 0; y < layout.gridHeight(); y++) {
                if (hasNewline(cells, y)) {
                    g.setColor(done.newlineRows()[y] ? NEWLINE_KEPT : NEWLINE_SKIPPED);
                    g.fillRect(x0 + geo.newlineX(), y * geo.gridCell(), Math.max(3, geo.gridCell()),
                            geo.gridCell());
                }
            }
            String caption = "layer " + layers.get(i) + " · " + done.rows() + "/" + denseRows;
            g.setColor(new Color(0x33, 0x33, 0x33));
            g.drawString(caption, x0 + (geo.panelWidth() - metrics.stringWidth(caption)) / 2, geo.panelHeight() + 16);
        }
        g.dispose();
        return out;
    }

    /** The base view and the tile grid unmasked, side by side: the report's input picture for a tiled image. */
    public static BufferedImage input(Layout layout) {
        Geometry geo = Geometry.of(layout);
        BufferedImage out = new BufferedImage(geo.panelWidth(), geo.panelHeight(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, out.getWidth(), out.getHeight());
        g.drawImage(PatchStrips.scaled(layout.base(), geo.baseCell() * layout.patchesPerSide()), 0, 0, null);
        g.drawImage(gridPicture(layout, geo.gridCell() * layout.gridWidth(), geo.gridCell() * layout.gridHeight()),
                geo.gridX(), 0, null);
        g.dispose();
        return out;
    }

    private static boolean hasNewline(Cells cells, int row) {
        for (int r : cells.newlineRow()) {
            if (r == row) {
                return true;
            }
        }
        return false;
    }

    /** The tiles on one canvas (each at the tower's size), scaled to {@code width}×{@code height} (bilinear). */
    private static BufferedImage gridPicture(Layout layout, int width, int height) {
        int size = layout.tiles().getFirst().width();
        BufferedImage canvas = new BufferedImage(size * layout.gridColumns(), size * layout.gridRows(),
                BufferedImage.TYPE_INT_RGB);
        Graphics2D c = canvas.createGraphics();
        for (int t = 0; t < layout.tiles().size(); t++) {
            c.drawImage(layout.tiles().get(t).toBufferedImage(), t % layout.gridColumns() * size,
                    t / layout.gridColumns() * size, null);
        }
        c.dispose();
        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(canvas, 0, 0, width, height, null);
        g.dispose();
        return out;
    }

    /** Cells outside the unpadded window hatched, unprocessed ones greyed as in {@link PatchStrips}, kept as is. */
    private static BufferedImage shadedGrid(BufferedImage source, boolean[] kept, boolean[] inWindow, int columns,
                                            int cell) {
        BufferedImage out = new BufferedImage(source.getWidth(), source.getHeight(), BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < source.getHeight(); y++) {
            for (int x = 0; x < source.getWidth(); x++) {
                int index = Math.min(source.getHeight() / cell - 1, y / cell) * columns
                        + Math.min(columns - 1, x / cell);
                int rgb = source.getRGB(x, y);
                if (!inWindow[index]) {
                    rgb = ((x + y) / 3 % 2 == 0 ? UNPADDED_DARK : UNPADDED_LIGHT).getRGB();
                } else if (!kept[index]) {
                    rgb = PatchStrips.skipped(rgb, x % cell == 0 || y % cell == 0, cell);
                }
                out.setRGB(x, y, rgb);
            }
        }
        return out;
    }
}
