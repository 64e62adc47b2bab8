package dev.mod4j.runtime.vision;

import dev.mod4j.runtime.weights.ClipLayerWeights;
import dev.mod4j.runtime.weights.ClipVisionWeights;

import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.config.ClipVisionConfig;
import dev.mod4j.runtime.cpu.AttentionKernel;
import dev.mod4j.runtime.cpu.MatmulKernel;
import dev.mod4j.runtime.cpu.Parallel;
import dev.mod4j.runtime.cpu.VectorKernels;
import dev.mod4j.runtime.tensor.WeightMatrix;

import java.util.function.BiConsumer;

/**
 * HuggingFace {@code CLIPVisionModel}'s transformer on the CPU: patch embedding as a matrix product, class token,
 * learned positions, {@code pre_layrnorm}, pre-norm encoder layers with bidirectional attention.
 * Hidden state k is the embeddings (k = 0) or the output of encoder layer k−1, as in transformers' hidden_states.
 */
public final class ClipVisionTower {
    private final ClipVisionConfig config;
    private final ClipVisionWeights weights;
    private final Parallel parallel;

    public ClipVisionTower(ClipVisionConfig config, ClipVisionWeights weights) {
        this(config, weights, Parallel.common());
    }

    public ClipVisionTower(ClipVisionConfig config, ClipVisionWeights weights, Parallel parallel) {
        this.config = config;
        this.weights = weights;
        this.parallel = parallel;
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
        int layers = config.numHiddenLayers();
        int index = hiddenStateIndex < 0 ? layers + 1 + hiddenStateIndex : hiddenStateIndex;
        if (index < 0 || index > layers) {
            throw new InvalidInputException("vision_feature_layer", hiddenStateIndex + " is outside the tower's "
                    + (layers + 1) + " hidden states");
        }
        int size = config.imageSize();
        int expected = config.numChannels() * size * size;
        if (pixels.length != expected) {
            throw new InvalidInputException("pixel values", "expected [" + config.numChannels() + ", " + size + ", "
                    + size + "] = " + expected + " floats, got " + pixels.length);
        }
        int h = config.hiddenSize();
        int n = tokens();
        float[] x = embeddings(pixels);
        float[] normed = new float[n * h];
        for (int r = 0; r < n; r++) {
            VectorKernels.layerNorm(x, r * h, x, r * h, weights.preLayernormWeight(), weights.preLayernormBias(), h,
                    config.layerNormEps());
        }
        if (observer != null) {
            observer.accept(0, x.clone());
        }
        float[] q = new float[n * h];
        float[] k = new float[n * h];
        float[] v = new float[n * h];
        float[] attn = new float[n * h];
        float[] proj = new float[n * h];
        float[] mlp = new float[n * config.intermediateSize()];
        for (int layer = 0; layer < index; layer++) {
            ClipLayerWeights w = weights.layers().get(layer);
            for (int r = 0; r < n; r++) {
                VectorKernels.layerNorm(normed, r * h, x, r * h, w.layerNorm1Weight(), w.layerNorm1Bias(), h,
                        config.layerNormEps());
            }
            linear(q, normed, n, w.qProj(), w.qBias());
            linear(k, normed, n, w.kProj(), w.kBias());
            linear(v, normed, n, w.vProj(), w.vBias());
            AttentionKernel.attendAll(attn, q, k, v, n, config.numAttentionHeads(), h / config.numAttentionHeads(),
                    parallel);
            linear(proj, attn, n, w.outProj(), w.outBias());
            VectorKernels.add(x, proj, 0, n * h);
            for (int r = 0; r < n; r++) {
                VectorKernels.layerNorm(normed, r * h, x, r * h, w.layerNorm2Weight(), w.layerNorm2Bias(), h,
                        config.layerNormEps());
            }
            linear(mlp, normed, n, w.fc1(), w.fc1Bias());
            VectorKernels.activation(config.hiddenAct(), mlp, 0, n * config.intermediateSize());
            linear(proj, mlp, n, w.fc2(), w.fc2Bias());
            VectorKernels.add(x, proj, 0, n * h);
            if (observer != null) {
                observer.accept(layer + 1, x.clone());
            }
        }
        return x;
    }

    /** Class token + patch embeddings + position embeddings, [tokens × hidden]. */
    private float[] embeddings(float[] pixels) {
        int h = config.hiddenSize();
        int p = config.patchSize();
        int grid = config.patchesPerSide();
        int size = config.imageSize();
        int channels = config.numChannels();
        int patchLength = channels * p * p;
        int patches = grid * grid;
        // im2col in the convolution weight's (channel, row, column) order; patches row by row over the grid.
        float[] columns = new float[patches * patchLength];
        for (int py = 0; py < grid; py++) {
            for (int px = 0; px < grid; px++) {
                int base = (py * grid + px) * patchLength;
                for (int c = 0; c < channels; c++) {
                    for (int ky = 0; ky < p; ky++) {
                        System.arraycopy(pixels, (c * size + py * p + ky) * size + px * p, columns,
                                base + (c * p + ky) * p, p);
                    }
                }
            }
        }
        float[] x = new float[(patches + 1) * h];
        System.arraycopy(weights.classEmbedding(), 0, x, 0, h);
        MatmulKernel.multiply(x, h, columns, 0, patches, weights.patchEmbedding(), parallel);
        VectorKernels.add(x, weights.positionEmbedding(), 0, (patches + 1) * h);
        return x;
    }

    private void linear(float[] out, float[] in, int rows, WeightMatrix w, float[] bias) {
        MatmulKernel.multiply(out, 0, in, 0, rows, w, parallel);
        if (bias != null) {
            VectorKernels.addBias(out, rows, bias);
        }
    }
}
