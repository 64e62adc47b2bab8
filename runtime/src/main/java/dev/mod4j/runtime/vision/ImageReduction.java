package dev.mod4j.runtime.vision;

/**
 * A reduction of each image inside the vision tower, before the projector (VisionZip, docs/methods.md §13): the
 * tower's feature rows that replace the image in the prompt, chosen or merged from the layer whose output LLaVA
 * selects. A schedule offers one through {@link dev.mod4j.runtime.schedule.TokenSchedule#imageReduction()}; the
 * prompt is then rebuilt with the reduced images before its prefill, so the decoder never sees the rest.
 */
public interface ImageReduction {
    /**
     * The rows that replace one image, in tower space.
     *
     * @param rows           [rows × vision hidden], in the order they enter the prompt
     * @param patchOfRow     for each row, the patch (0-based, row-major in the tower's grid) it is or stands for
     *                       (a merged row: the patch it was merged into), or -1 for the class token; for reports
     */
    record Reduced(float[] rows, int[] patchOfRow) {
    }

    Reduced reduce(ClipLayerView layer);
}
