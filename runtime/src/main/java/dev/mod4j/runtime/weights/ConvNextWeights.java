package dev.mod4j.runtime.weights;

import dev.mod4j.loaders.safetensors.Checkpoint;
import dev.mod4j.loaders.safetensors.CheckpointFormatException;
import dev.mod4j.runtime.tensor.Linear;
import dev.mod4j.runtime.tensor.WeightMatrix;

import java.util.ArrayList;
import java.util.List;

/**
 * A timm {@code ConvNeXt} trunk (stem, four stages; the classifier head is not used), as LLaVA-HR's slow branch and
 * Mini-Gemini's auxiliary tower hold it (timm names: {@code stem.0/1}, {@code stages.N.downsample.0/1},
 * {@code stages.N.blocks.M.conv_dw/norm/mlp.fc1/mlp.fc2}, the layer scale as {@code gamma} (timm, under open_clip) or
 * {@code weight} (γ-MoD's convnext.py)).
 * Sizes come from the tensors: widths from the stem and downsample kernels, depths from the blocks present.
 * Convolutions whose stride equals their kernel (stem, downsample) are kept as [out, in·k·k] matrices.
 *
 * @param stemPatch the stem's kernel and stride (4 in every ConvNeXt)
 */
public record ConvNextWeights(WeightMatrix stem, float[] stemBias, float[] stemNormWeight, float[] stemNormBias,
                              int stemPatch, List<Stage> stages) {

    /** One stage: its downsample (LayerNorm2d + 2×2 stride-2 convolution; null in stage 0) and its blocks. */
    public record Stage(float[] downsampleNormWeight, float[] downsampleNormBias, WeightMatrix downsample,
                        float[] downsampleBias, int width, List<Block> blocks) {
    }

    /**
     * One ConvNeXt block: depthwise k×k convolution, LayerNorm over channels, Linear → GELU → Linear, layer scale,
     * residual.
     *
     * @param depthwise the kernel as [k·k, channels] (tap-major, so a tap's weights are contiguous over channels)
     */
    public record Block(float[] depthwise, float[] depthwiseBias, int kernel, float[] normWeight, float[] normBias,
                        Linear fc1, Linear fc2, float[] layerScale) {
    }

    public int width() {
        return stages.getLast().width();
    }

    /** Total stride of the trunk: the stem's patch, halved three times. */
    public int stride() {
        return stemPatch * (1 << (stages.size() - 1));
    }

    public int[] depths() {
        return stages.stream().mapToInt(s -> s.blocks().size()).toArray();
    }

    public int[] widths() {
        return stages.stream().mapToInt(Stage::width).toArray();
    }

    public static ConvNextWeights load(Checkpoint checkpoint, String prefix) {
        PrefixedTensors t = new PrefixedTensors(checkpoint, prefix);
        long[] stemShape = t.shape("stem.0.weight");
        if (stemShape.length != 4 || stemShape[1] != 3 || stemShape[2] != stemShape[3]) {
            throw new CheckpointFormatException(checkpoint.directory().toString(), "'" + prefix + "stem.0.weight'"
                    + " is not a ConvNeXt patch stem [width, 3, k, k]: " + java.util.Arrays.toString(stemShape));
        }
        int width = (int) stemShape[0];
        int patch = (int) stemShape[2];
        WeightMatrix stem = LlamaWeights.flattened(t.tensor("stem.0.weight"));
        List<Stage> stages = new ArrayList<>();
        for (int s = 0; s < 4; s++) {
            String p = "stages." + s + ".";
            float[] dnW = null;
            float[] dnB = null;
            WeightMatrix down = null;
            float[] downBias = null;
            int in = width;
            if (s > 0) {
                dnW = t.vector(p + "downsample.0.weight", in);
                dnB = t.vector(p + "downsample.0.bias", in);
                long[] ds = t.shape(p + "downsample.1.weight");
                if (ds.length != 4 || ds[1] != in || ds[2] != 2 || ds[3] != 2) {
                    throw new CheckpointFormatException(checkpoint.directory().toString(), "'" + prefix + p
                            + "downsample.1.weight' is not a 2×2 convolution from " + in + " channels: "
                            + java.util.Arrays.toString(ds));
                }
                width = (int) ds[0];
                down = LlamaWeights.flattened(t.tensor(p + "downsample.1.weight"));
                downBias = t.vector(p + "downsample.1.bias", width);
            }
            List<Block> blocks = new ArrayList<>();
            for (int b = 0; t.contains(p + "blocks." + b + ".conv_dw.weight"); b++) {
                blocks.add(block(t.nested(p + "blocks." + b + "."), width));
            }
            if (blocks.isEmpty()) {
                throw new CheckpointFormatException(checkpoint.directory().toString(), "missing tensor '" + prefix + p
                        + "blocks.0.conv_dw.weight' (a ConvNeXt has four stages of blocks)");
            }
            stages.add(new Stage(dnW, dnB, down, downBias, width, List.copyOf(blocks)));
        }
        return new ConvNextWeights(stem, t.vector("stem.0.bias", stemShape[0]), t.vector("stem.1.weight", stemShape[0]),
                t.vector("stem.1.bias", stemShape[0]), patch, List.copyOf(stages));
    }

    private static Block block(PrefixedTensors t, int width) {
        long[] dw = t.shape("conv_dw.weight");
        if (dw.length != 4 || dw[0] != width || dw[1] != 1 || dw[2] != dw[3] || dw[2] % 2 == 0) {
            throw new CheckpointFormatException(t.checkpoint().directory().toString(), "'" + t.prefix()
                    + "conv_dw.weight' is not a depthwise odd k×k kernel for " + width + " channels: "
                    + java.util.Arrays.toString(dw));
        }
        int k = (int) dw[2];
        long hidden = t.shape("mlp.fc1.weight")[0];
        return new Block(tapMajor(t.tensor("conv_dw.weight").toFloatArray(), width, k * k),
                t.vector("conv_dw.bias", width), k, t.vector("norm.weight", width), t.vector("norm.bias", width),
                t.linear("mlp.fc1", hidden, width), t.linear("mlp.fc2", width, hidden),
                t.vector(t.contains("gamma") ? "gamma" : "weight", width));
    }

    /** A depthwise kernel [channels, k, k] as [k·k, channels]. */
    public static float[] tapMajor(float[] kernel, int channels, int taps) {
        float[] out = new float[kernel.length];
        for (int c = 0; c < channels; c++) {
            for (int tap = 0; tap < taps; tap++) {
                out[tap * channels + c] = kernel[c * taps + tap];
            }
        }
        return out;
    }
}
