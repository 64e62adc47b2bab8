package dev.mod4j.runtime.vision;

/**
 * A reduction of each image inside the vision tower, before the projector (VisionZip, docs/methods.md §13): the
 * tower's feature rows that replace the image in the prompt, chosen or merged from the layer whose output LLaVA
 * selects. A schedule offers one through {@link dev.mod4j.runtime.schedule.TokenSchedule#imageReduction()}; the
 * prompt is then rebuilt with the reduced images before its prefill, so the decoder never sees the rest.
 */
public interface ImageReduction {
    /** The rows that replace the image, [rows × vision hidden], in the order they enter the prompt. */
    float[] reduce(ClipLayerView layer);
}
