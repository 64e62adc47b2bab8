package dev.mod4j.runtime.backend;

import java.util.function.BiConsumer;

/**
 * The vision side of a model on a backend: CLIP encoder blocks (LayerNorm, bidirectional multi-head attention,
 * quick_gelu/GELU MLP) and the projector, computed where the backend computes decoder blocks. Arguments are
 * checked by the caller ({@link dev.mod4j.runtime.vision.ClipVisionTower}); host arrays go in and come out.
 */
public interface VisionEncoder {
    /**
     * Hidden state {@code index} (0 = the embeddings after {@code pre_layrnorm}, k = the output of encoder layer
     * k−1, as transformers' {@code hidden_states}) of one preprocessed image ({@code [channels, size, size]}), as
     * [tokens × hidden], class token first. Layers past {@code index} are not computed. {@code observer}, if not
     * null, receives every hidden state up to it (a copy each).
     */
    float[] hiddenState(float[] pixels, int index, BiConsumer<Integer, float[]> observer);

    /** The projector over {@code rows} feature rows [rows × vision hidden] → [rows × decoder hidden]. */
    float[] project(float[] features, int rows);
}
