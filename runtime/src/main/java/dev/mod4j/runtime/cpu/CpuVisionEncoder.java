package dev.mod4j.runtime.cpu;

import dev.mod4j.loaders.config.ClipVisionConfig;
import dev.mod4j.loaders.config.LlavaHrConfig;
import dev.mod4j.loaders.config.MiniGeminiConfig;
import dev.mod4j.loaders.progress.ProgressListener;
import dev.mod4j.loaders.progress.ProgressTask;
import dev.mod4j.runtime.backend.PatchColumns;
import dev.mod4j.runtime.backend.VisionEncoder;
import dev.mod4j.runtime.backend.VisionParts;
import dev.mod4j.runtime.tensor.Linear;
import dev.mod4j.runtime.backend.HighResolutionEncoder;
import dev.mod4j.runtime.weights.ClipLayerWeights;
import dev.mod4j.runtime.weights.ClipVisionWeights;
import dev.mod4j.runtime.weights.ConvNextWeights;
import dev.mod4j.runtime.weights.MultiPathFusionWeights;
import dev.mod4j.runtime.weights.PatchInfoMiningWeights;
import dev.mod4j.runtime.weights.ProjectorWeights;

import java.util.function.BiConsumer;

/**
 * HuggingFace {@code CLIPVisionModel}'s transformer and LLaVA's projector on the CPU: patch embedding as a matrix
 * product, class token, learned positions, {@code pre_layrnorm}, pre-norm encoder layers with bidirectional
 * attention; then the projector's linears with the activation between them.
 *
 * <p>Several images (the crops of a LLaVA-NeXT image) go through the encoder as one batch
 * ({@link #hiddenStates}): every linear is one product over all their rows, so each weight panel is packed once per
 * layer for all crops, and attention runs per image and head ({@link ImageAttention}). Row-wise steps (LayerNorm,
 * biases, activation, residual) run on all threads, in blocks of rows.
 */
public final class CpuVisionEncoder implements VisionEncoder {
    /** Rows per work item of the row-wise steps. */
    private static final int ROW_BLOCK = 16;

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
        return encode(new float[][] {pixels}, index, observer);
    }

    /** All images in one pass through the encoder; the same values, bit for bit, as one image at a time. */
    @Override
    public float[] hiddenStates(float[][] images, int index) {
        return encode(images, index, null);
    }

    private float[] encode(float[][] images, int index, BiConsumer<Integer, float[]> observer) {
        int h = config.hiddenSize();
        int tokens = config.patchCount() + 1;
        int rows = Math.multiplyExact(images.length, tokens);
        float[] x = new float[Math.multiplyExact(rows, h)];
        for (int i = 0; i < images.length; i++) {
            embed(images[i], x, i * tokens * h);
        }
        layerNorm(x, x, weights.preLayernormWeight(), weights.preLayernormBias(), rows);
        if (observer != null) {
            observer.accept(0, x.clone());
        }
        runLayers(x, images.length, tokens, 0, index, observer);
        return x;
    }

    /**
     * Encoder layers [{@code from}, {@code to}) over hidden states given directly, in place: {@code x} holds
     * [images · tokens × hidden], image after image (LLaVA-HR's fast branch runs its layers in groups, with no class
     * token and its own embeddings). {@code observer} (may be null) sees the output of each layer, numbered as
     * hidden states (layer k's output is hidden state k+1).
     */
    public void runLayers(float[] x, int images, int tokens, int from, int to, BiConsumer<Integer, float[]> observer) {
        int h = config.hiddenSize();
        int rows = Math.multiplyExact(images, tokens);
        int heads = config.numAttentionHeads();
        float[] normed = new float[rows * h];
        float[] q = new float[rows * h];
        float[] k = new float[rows * h];
        float[] v = new float[rows * h];
        float[] attn = new float[rows * h];
        float[] proj = new float[rows * h];
        float[] mlp = new float[Math.multiplyExact(rows, config.intermediateSize())];
        ImageAttention attention = new ImageAttention(images, tokens, heads, h / heads);
        ProgressTask progress = ProgressListener.current().start("vision tower (layers)", to - from);
        for (int layer = from; layer < to; layer++) {
            ClipLayerWeights w = weights.layers().get(layer);
            layerNorm(normed, x, w.layerNorm1Weight(), w.layerNorm1Bias(), rows);
            linear(q, normed, rows, w.qProj(), null);
            linear(k, normed, rows, w.kProj(), null);
            linear(v, normed, rows, w.vProj(), null);
            attention.attend(attn, q, k, v, parallel);
            MatmulKernel.multiply(proj, 0, attn, 0, rows, w.outProj().weight(), parallel);
            addResidual(x, proj, w.outProj().bias(), rows);
            layerNorm(normed, x, w.layerNorm2Weight(), w.layerNorm2Bias(), rows);
            linear(mlp, normed, rows, w.fc1(), config.hiddenAct());
            MatmulKernel.multiply(proj, 0, mlp, 0, rows, w.fc2().weight(), parallel);
            addResidual(x, proj, w.fc2().bias(), rows);
            if (observer != null) {
                observer.accept(layer + 1, x.clone());
            }
            progress.advance(1);
        }
        progress.close();
    }

    /** Class token + patch embeddings + position embeddings of one image, [tokens × hidden] at {@code x[at]}. */
    private void embed(float[] pixels, float[] x, int at) {
        int h = config.hiddenSize();
        int patches = config.patchCount();
        float[] columns = PatchColumns.of(config, pixels);
        System.arraycopy(weights.classEmbedding(), 0, x, at, h);
        MatmulKernel.multiply(x, at + h, columns, 0, patches, weights.patchEmbedding(), parallel);
        float[] positions = weights.positionEmbedding();
        for (int i = 0; i < (patches + 1) * h; i++) {
            x[at + i] += positions[i];
        }
    }

    /** LayerNorm of each of {@code rows} rows of x into out (which may be x). */
    private void layerNorm(float[] out, float[] x, float[] weight, float[] bias, int rows) {
        int h = config.hiddenSize();
        double eps = config.layerNormEps();
        eachRowBlock(rows, (from, to) -> {
            for (int r = from; r < to; r++) {
                VectorKernels.layerNorm(out, r * h, x, r * h, weight, bias, h, eps);
            }
        });
    }

    /** {@code out = in · Wᵀ + b}, then the activation named (if not null), over {@code rows} rows. */
    private void linear(float[] out, float[] in, int rows, Linear linear, String activation) {
        MatmulKernel.multiply(out, 0, in, 0, rows, linear.weight(), parallel);
        float[] bias = linear.bias();
        int width = linear.outFeatures();
        if (bias == null && activation == null) {
            return;
        }
        eachRowBlock(rows, (from, to) -> {
            if (bias != null) {
                VectorKernels.addBias(out, from * width, to - from, bias);
            }
            if (activation != null) {
                VectorKernels.activation(activation, out, from * width, (to - from) * width);
            }
        });
    }

    /** The residual stream's update {@code x += out + b} (b may be null), over {@code rows} rows. */
    private void addResidual(float[] x, float[] out, float[] bias, int rows) {
        int h = config.hiddenSize();
        eachRowBlock(rows, (from, to) -> {
            if (bias != null) {
                VectorKernels.addBias(out, from * h, to - from, bias);
            }
            VectorKernels.add(x, out, from * h, (to - from) * h);
        });
    }

    private void eachRowBlock(int rows, RowRange body) {
        int blocks = (rows + ROW_BLOCK - 1) / ROW_BLOCK;
        parallel.forEach(blocks, block -> body.run(block * ROW_BLOCK, Math.min(rows, (block + 1) * ROW_BLOCK)));
    }

    /** Rows [from, to) of a row-wise step. */
    @FunctionalInterface
    private interface RowRange {
        void run(int from, int to);
    }

    @Override
    public HighResolutionEncoder llavaHr(LlavaHrConfig hr, ConvNextWeights slow, MultiPathFusionWeights fusion) {
        return new CpuLlavaHrEncoder(hr, new VisionParts(config, weights, null), new CpuConvNextEncoder(slow, parallel),
                fusion, parallel);
    }

    @Override
    public HighResolutionEncoder miniGemini(MiniGeminiConfig mgm, int hiddenStateIndex, ConvNextWeights aux,
                                            PatchInfoMiningWeights mining) {
        return new CpuMiniGeminiEncoder(mgm, config, new CpuVisionEncoder(new VisionParts(config, weights, null),
                parallel), hiddenStateIndex, new CpuConvNextEncoder(aux, parallel), mining, parallel);
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
}
