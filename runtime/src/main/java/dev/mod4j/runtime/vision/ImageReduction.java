package dev.mod4j.runtime.vision;

import java.util.List;

/**
 * A reduction of each image inside the vision tower, before the projector (VisionZip, docs/methods.md §13): the
 * tower's feature rows that replace the image in the prompt, chosen or merged from the layer whose output LLaVA
 * selects. A schedule offers one through {@link dev.mod4j.runtime.schedule.TokenSchedule#imageReduction()}; the
 * prompt is then rebuilt with the reduced images before its prefill, so the decoder never sees the rest.
 */
public interface ImageReduction {
    /** In {@link #arrangeTiles}: the row is the model's {@code image_newline}. */
    int NEWLINE = -1;

    /**
     * The rows that replace one image, in tower space.
     *
     * @param rows           [rows × vision hidden], in the order they enter the prompt
     * @param patchOfRow     for each row, the patch (0-based, row-major in the tower's grid) it is or stands for
     *                       (a merged row: the patch it was merged into), or -1 for the class token; for reports
     */
    record Reduced(float[] rows, int[] patchOfRow) {
    }

    /**
     * A tiled (LLaVA-NeXT, anyres) image's grid and packing, for {@link #arrangeTiles}.
     *
     * @param gridRows       tiles down
     * @param gridColumns    tiles across
     * @param patchesPerSide the tower's patches per side of one crop
     * @param patchMergeType the checkpoint's {@code mm_patch_merge_type} ({@code flat}, {@code spatial},
     *                       {@code spatial_unpad})
     */
    record TileGrid(int gridRows, int gridColumns, int patchesPerSide, String patchMergeType) {
    }

    Reduced reduce(ClipLayerView layer);

    /**
     * How a tiled image's reduced crops (base first, each reduced by {@link #reduce}) become its prompt rows: for
     * each prompt row, the index of a row in the crops' reductions laid end to end, or {@link #NEWLINE}. A method
     * whose released code does not pack tiled images throws an {@link dev.mod4j.loaders.InvalidInputException}
     * naming the reason.
     */
    int[] arrangeTiles(List<Reduced> crops, TileGrid grid);
}
