package dev.mod4j.runtime.cpu;

import dev.mod4j.loaders.config.ClipVisionConfig;
import dev.mod4j.runtime.backend.PatchColumns;
import dev.mod4j.runtime.backend.VisionEncoder;
import dev.mod4j.runtime.backend.VisionParts;
import dev.mod4j.runtime.tensor.Linear;
import dev.mod4j.runtime.weights.ClipLayerWeights;
import dev.mod4j.runtime.weights.ClipVisionWeights;
import dev.mod4j.runtime.weights.ProjectorWeights;

import java.util.function.BiConsumer;

/**
 * HuggingFace {@code CLIPVisionModel}'s transformer and LLaVA's projector on the CPU: patch embedding as a matrix
 * product, class token, learned positions, {@code pre_layrnorm}, pre-norm encoder layers with bidirectional
 * attention; then the projector's linears with the activation between them.
 */
public final class CpuVisionEncoder implements VisionEncoder {
    private final ClipVisionConfig config;
    private final ClipVisionWeights weights;
    private final ProjectorWeights projector;
    private final Parallel parallel;

    /** The tower and projector of {@code parts} (a null projector: the tower alone, as benchmarks use it). */
    public CpuVisionEncoder(VisionParts parts, Parallel parallel) {
        this.config = parts.config();
        this.weights = parts.tower();
        this.projector = parts.projector();
        this.parallel = parallel;
    }

    @Override
    public float[] hiddenState(float[] pixels, int index, BiConsumer<Integer, float[]> observer) {
        int h = config.hiddenSize();
        int n = config.patchCount() + 1;
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
            linear(q, normed, n, w.qProj());
            linear(k, normed, n, w.kProj());
            linear(v, normed, n, w.vProj());
            AttentionKernel.attendAll(attn, q, k, v, n, config.numAttentionHeads(), h / config.numAttentionHeads(),
                    parallel);
            linear(proj, attn, n, w.outProj());
            VectorKernels.add(x, proj, 0, n * h);
            for (int r = 0; r < n; r++) {
                VectorKernels.layerNorm(normed, r * h, x, r * h, w.layerNorm2Weight(), w.layerNorm2Bias(), h,
                        config.layerNormEps());
            }
            linear(mlp, normed, n, w.fc1());
            VectorKernels.activation(config.hiddenAct(), mlp, 0, n * config.intermediateSize());
            linear(proj, mlp, n, w.fc2());
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
        int patches = config.patchCount();
        float[] columns = PatchColumns.of(config, pixels);
        float[] x = new float[(patches + 1) * h];
        System.arraycopy(weights.classEmbedding(), 0, x, 0, h);
        MatmulKernel.multiply(x, h, columns, 0, patches, weights.patchEmbedding(), parallel);
        VectorKernels.add(x, weights.positionEmbedding(), 0, (patches + 1) * h);
        return x;
    }

    @Override
    public float[] project(float[] features, int rows) {
        float[] current = features;
        for (int i = 0; i < projector.linears().size(); i++) {
            Linear linear = projector.linears().get(i);
            float[] out = new float[rows * linear.outFeatures()];
            MatmulKernel.linear(out, 0, current, 0, rows, linear, parallel);
            if (i + 1 < projector.linears().size()) {
                VectorKernels.activation(projector.activation(), out, 0, out.length);
            }
            current = out;
        }
        return current;
    }

    private void linear(float[] out, float[] in, int rows, Linear linear) {
        MatmulKernel.linear(out, 0, in, 0, rows, linear, parallel);
    }
}
