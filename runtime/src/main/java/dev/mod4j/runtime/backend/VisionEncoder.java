package dev.mod4j.runtime.backend;

import dev.mod4j.loaders.config.LlavaHrConfig;
import dev.mod4j.loaders.config.MiniGeminiConfig;
import dev.mod4j.runtime.weights.ConvNextWeights;
import dev.mod4j.runtime.weights.MultiPathFusionWeights;
import dev.mod4j.runtime.weights.PatchInfoMiningWeights;

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

    /**
     * Hidden state {@code index} of several preprocessed images (the crops of a LLaVA-NeXT image), as
     * [images · tokens × hidden], image after image, each as {@link #hiddenState} gives it. A backend may run them
     * through the encoder as one batch; this default runs them one after the other.
     */
    default float[] hiddenStates(float[][] images, int index) {
        float[][] states = new float[images.length][];
        int length = 0;
        for (int i = 0; i < images.length; i++) {
            states[i] = hiddenState(images[i], index, null);
            length = Math.addExact(length, states[i].length);
        }
        float[] all = new float[length];
        for (int i = 0, at = 0; i < images.length; at += states[i].length, i++) {
            System.arraycopy(states[i], 0, all, at, states[i].length);
        }
        return all;
    }

    /** The projector over {@code rows} feature rows [rows × vision hidden] → [rows × decoder hidden]. */
    float[] project(float[] features, int rows);

    /**
     * LLaVA-HR's dual-branch tower on this backend, its fast branch being this encoder's CLIP tower; null when the
     * backend has no implementation of it.
     */
    default HighResolutionEncoder llavaHr(LlavaHrConfig config, ConvNextWeights slow, MultiPathFusionWeights fusion) {
        return null;
    }

    /**
     * Mini-Gemini's vision side on this backend (this encoder's CLIP tower over the low-resolution views, hidden state
     * {@code hiddenStateIndex}; the auxiliary ConvNeXt; patch info mining); null when the backend has no
     * implementation of it.
     */
    default HighResolutionEncoder miniGemini(MiniGeminiConfig config, int hiddenStateIndex, ConvNextWeights aux,
                                             PatchInfoMiningWeights mining) {
        return null;
    }
}
