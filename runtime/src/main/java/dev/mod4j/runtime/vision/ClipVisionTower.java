package dev.mod4j.runtime.vision;

import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.config.ClipVisionConfig;
import dev.mod4j.runtime.backend.VisionEncoder;

import java.util.function.BiConsumer;

/**
 * HuggingFace {@code CLIPVisionModel}'s transformer as LLaVA uses it: patch embedding, class token, learned
 * positions, {@code pre_layrnorm}, pre-norm encoder layers with bidirectional attention, computed by a backend's
 * {@link VisionEncoder}. Hidden state k is the embeddings (k = 0) or the output of encoder layer k−1, as in
 * transformers' hidden_states.
 */
public final class ClipVisionTower {
    private final ClipVisionConfig config;
    private final VisionEncoder encoder;

    public ClipVisionTower(ClipVisionConfig config, VisionEncoder encoder) {
        this.config = config;
        this.encoder = encoder;
    }

    public ClipVisionConfig config() {
        return config;
    }

    /** Tokens per image: the patches and the class token. */
    public int tokens() {
        return config.patchCount() + 1;
    }

    /**
     * Runs the tower on one preprocessed image ({@code [channels, size, size]} floats) and returns hidden state
     * {@code hiddenStateIndex} (0..layers; negative counts from the end like Python) as [tokens × hidden], class token
     * first. Layers past the one asked for are not computed. {@code observer}, if not null, sees every hidden state.
     */
    public float[] hiddenState(float[] pixels, int hiddenStateIndex, BiConsumer<Integer, float[]> observer) {
        checkPixels(pixels);
        return encoder.hiddenState(pixels, layerIndex(hiddenStateIndex), observer);
    }

    /**
     * {@link #hiddenState} of several images (the crops of a LLaVA-NeXT image) in one pass through the encoder, as
     * [images · tokens × hidden], image after image; each image's rows are what {@link #hiddenState} returns for it.
     */
    public float[] hiddenStates(float[][] images, int hiddenStateIndex) {
        int index = layerIndex(hiddenStateIndex);
        if (images.length == 0) {
            throw new InvalidInputException("pixel values", "no images");
        }
        for (float[] pixels : images) {
            checkPixels(pixels);
        }
        return encoder.hiddenStates(images, index);
    }

    private int layerIndex(int hiddenStateIndex) {
        int layers = config.numHiddenLayers();
        int index = hiddenStateIndex < 0 ? layers + 1 + hiddenStateIndex : hiddenStateIndex;
        if (index < 0 || index > layers) {
            throw new InvalidInputException("vision_feature_layer", hiddenStateIndex + " is outside the tower's "
                    + (layers + 1) + " hidden states");
        }
        return index;
    }

    private void checkPixels(float[] pixels) {
        int size = config.imageSize();
        int expected = config.numChannels() * size * size;
        if (pixels.length != expected) {
            throw new InvalidInputException("pixel values", "expected [" + config.numChannels() + ", " + size + ", "
                    + size + "] = " + expected + " floats, got " + pixels.length);
        }
    }
}
