package dev.mod4j.runtime.cpu;

import dev.mod4j.runtime.backend.ConvNextTrunk;
import dev.mod4j.runtime.backend.PatchColumns;
import dev.mod4j.runtime.weights.ConvNextWeights;

import java.util.function.BiConsumer;

/**
 * A timm ConvNeXt trunk on the CPU (Yaxin9Luo/Gamma-MOD@5de27f2, gamma_mod/model/multimodal_encoder/convnext.py,
 * {@code conv_mlp=False}): patch stem (k×k stride-k convolution + LayerNorm2d), then per stage a downsample
 * (LayerNorm2d + 2×2 stride-2 convolution; not in stage 0) and blocks of depthwise 7×7 convolution → LayerNorm →
 * Linear → GELU → Linear → layer scale → residual. Maps are channels-last, so LayerNorm2d (over channels) and the
 * block's LayerNorm are the same row-wise LayerNorm, and the 1×1 steps are matrix products over positions.
 */
public final class CpuConvNextEncoder implements ConvNextTrunk {
    /** timm's LayerNorm / LayerNorm2d default, which convnext_large_mlp keeps. */
    static final double LAYER_NORM_EPS = 1e-6;
    private static final int ROW_BLOCK = 64;

    private final ConvNextWeights weights;
    private final Parallel parallel;

    public CpuConvNextEncoder(ConvNextWeights weights, Parallel parallel) {
        this.weights = weights;
        this.parallel = parallel;
    }

    @Override
    public ConvNextWeights weights() {
        return weights;
    }

    @Override
    public float[] forward(float[] pixels, int size, BiConsumer<Integer, float[]> stageObserver) {
        int patch = weights.stemPatch();
        int side = size / patch;
        int positions = side * side;
        float[] x = new float[Math.multiplyExact(positions, weights.stem().outFeatures())];
        float[] columns = PatchColumns.of(pixels, 3, size, size, patch);
        MatmulKernel.multiply(x, 0, columns, 0, positions, weights.stem(), parallel);
        int channels = weights.stem().outFeatures();
        addBias(x, positions, weights.stemBias());
        layerNorm(x, positions, channels, weights.stemNormWeight(), weights.stemNormBias());
        for (int s = 0; s < weights.stages().size(); s++) {
            ConvNextWeights.Stage stage = weights.stages().get(s);
            if (stage.downsample() != null) {
                layerNorm(x, positions, channels, stage.downsampleNormWeight(), stage.downsampleNormBias());
                float[] gathered = ConvolutionKernels.patchesOfMap(x, channels, side, side, 2);
                side /= 2;
                positions = side * side;
                channels = stage.width();
                x = new float[Math.multiplyExact(positions, channels)];
                MatmulKernel.multiply(x, 0, gathered, 0, positions, stage.downsample(), parallel);
                addBias(x, positions, stage.downsampleBias());
            }
            float[] mixed = new float[x.length];
            float[] hidden = new float[Math.multiplyExact(positions, stage.blocks().getFirst().fc1().outFeatures())];
            float[] out = new float[x.length];
            for (ConvNextWeights.Block block : stage.blocks()) {
                ConvolutionKernels.depthwise(mixed, x, side, side, channels, block.depthwise(), block.depthwiseBias(),
                        block.kernel(), parallel);
                layerNorm(mixed, positions, channels, block.normWeight(), block.normBias());
                MatmulKernel.linear(hidden, 0, mixed, 0, positions, block.fc1(), parallel);
                gelu(hidden, positions, block.fc1().outFeatures());
                MatmulKernel.linear(out, 0, hidden, 0, positions, block.fc2(), parallel);
                scaleAndAdd(x, out, positions, channels, block.layerScale());
            }
            if (stageObserver != null) {
                stageObserver.accept(s, x.clone());
            }
        }
        return x;
    }

    private void layerNorm(float[] x, int rows, int width, float[] weight, float[] bias) {
        eachRowBlock(rows, (from, to) -> {
            for (int r = from; r < to; r++) {
                VectorKernels.layerNorm(x, r * width, x, r * width, weight, bias, width, LAYER_NORM_EPS);
            }
        });
    }

    private void addBias(float[] x, int rows, float[] bias) {
        VectorKernels.addBias(x, 0, rows, bias);
    }

    private void gelu(float[] x, int rows, int width) {
        eachRowBlock(rows, (from, to) -> VectorKernels.gelu(x, from * width, (to - from) * width));
    }

    /** {@code x += out · scale} per channel (the block's layer scale, then its residual). */
    private void scaleAndAdd(float[] x, float[] out, int rows, int width, float[] scale) {
        eachRowBlock(rows, (from, to) -> {
            for (int r = from; r < to; r++) {
                int o = r * width;
                for (int c = 0; c < width; c++) {
                    x[o + c] += out[o + c] * scale[c];
                }
            }
        });
    }

    private void eachRowBlock(int rows, RowRange body) {
        int blocks = (rows + ROW_BLOCK - 1) / ROW_BLOCK;
        parallel.forEach(blocks, block -> body.run(block * ROW_BLOCK, Math.min(rows, (block + 1) * ROW_BLOCK)));
    }

    @FunctionalInterface
    private interface RowRange {
        void run(int from, int to);
    }
}
