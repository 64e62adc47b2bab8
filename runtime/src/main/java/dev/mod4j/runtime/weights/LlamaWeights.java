package dev.mod4j.runtime.weights;

import dev.mod4j.loaders.config.LlamaConfig;
import dev.mod4j.loaders.layout.CheckpointLayout;
import dev.mod4j.loaders.layout.ModelFiles;
import dev.mod4j.loaders.safetensors.Checkpoint;
import dev.mod4j.loaders.safetensors.CheckpointFormatException;
import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.loaders.safetensors.Tensor;
import dev.mod4j.runtime.cpu.CpuBackend;
import dev.mod4j.runtime.tensor.WeightMatrix;

import java.util.ArrayList;
import java.util.List;

/**
 * A LLaMA decoder's weights, views into the checkpoint's memory (nothing large is copied). Weights read into memory
 * ({@link dev.mod4j.loaders.safetensors.LoadMode#COPY}) are ours: the projections and the LM head are
 * {@link WeightMatrix interleaved} there in place for the CPU's decode kernels, so the checkpoint's own tensors
 * for them no longer read as row-major. Memory-mapped weights stay as the file has them. Load once per opened
 * {@link ModelFiles} ({@link LlamaModel} does): a second load over the same copied memory would rearrange it again.
 */
public record LlamaWeights(WeightMatrix embedTokens, List<DecoderLayerWeights> layers, float[] norm,
                           WeightMatrix lmHead) {

    public static LlamaWeights load(ModelFiles files) {
        LlamaConfig c = files.config().text();
        Checkpoint ckpt = files.language();
        CheckpointLayout layout = files.layout();
        WeightMatrix embed = matrix(ckpt.tensor(layout.embedTokens()));
        if (c.tieWordEmbeddings()) {
            embed = forDecoding(embed); // it is the LM head too
        }
        List<DecoderLayerWeights> layers = new ArrayList<>();
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            int layer = i;
            java.util.function.Function<String, Tensor> t = suffix -> files.layerTensor(layer, suffix);
            java.util.function.Function<String, WeightMatrix> projection =
                    suffix -> forDecoding(matrix(t.apply(suffix)));
            java.util.function.Function<String, float[]> bias = suffix -> ckpt.contains(layout.layerTensor(ckpt, layer, suffix))
                    ? t.apply(suffix).toFloatArray() : null;
            layers.add(new DecoderLayerWeights(i,
                    t.apply("input_layernorm.weight").toFloatArray(),
                    projection.apply("self_attn.q_proj.weight"),
                    projection.apply("self_attn.k_proj.weight"),
                    projection.apply("self_attn.v_proj.weight"),
                    projection.apply("self_attn.o_proj.weight"),
                    t.apply("post_attention_layernorm.weight").toFloatArray(),
                    projection.apply("mlp.gate_proj.weight"),
                    projection.apply("mlp.up_proj.weight"),
                    projection.apply("mlp.down_proj.weight"),
                    bias.apply("self_attn.q_proj.bias"), bias.apply("self_attn.k_proj.bias"),
                    bias.apply("self_attn.v_proj.bias"), bias.apply("self_attn.o_proj.bias"),
                    bias.apply("mlp.gate_proj.bias"), bias.apply("mlp.up_proj.bias"), bias.apply("mlp.down_proj.bias")));
        }
        float[] norm = ckpt.tensor(layout.finalNorm()).toFloatArray();
        WeightMatrix head = c.tieWordEmbeddings() ? embed : forDecoding(matrix(ckpt.tensor(layout.lmHead())));
        return new LlamaWeights(embed, List.copyOf(layers), norm, head);
    }

    /** {@code m} interleaved in place for the decode kernels when its memory is ours and its shape allows. */
    private static WeightMatrix forDecoding(WeightMatrix m) {
        int chunk = CpuBackend.WEIGHT_CHUNK_BYTES;
        boolean owned = !m.data().isReadOnly();
        return owned && WeightMatrix.canInterleave(m.dtype(), m.outFeatures(), m.inFeatures(), chunk)
                ? m.interleaveInPlace(chunk) : m;
    }

    /** A checkpoint tensor as a projection matrix, with the tensor's name in any error. */
    public static WeightMatrix matrix(Tensor t) {
        if (t.info().rank() != 2) {
            throw new CheckpointFormatException(t.file() + ": " + t.name(), "expected a 2-D weight, found shape "
                    + t.info().shapeString());
        }
        return flattened(t);
    }

    /** A tensor [out, d1, d2, ...] as an [out, d1·d2·...] matrix (a convolution kernel as a matrix product). */
    public static WeightMatrix flattened(Tensor t) {
        if (t.dtype() != DType.F32 && t.dtype() != DType.F16 && t.dtype() != DType.BF16) {
            throw new CheckpointFormatException(t.file() + ": " + t.name(), "weights must be F32, F16 or BF16, found "
                    + t.dtype());
        }
        long rows = t.info().dim(0);
        long cols = rows == 0 ? 0 : t.elementCount() / rows;
        return new WeightMatrix(t.name(), t.data(), t.dtype(), Math.toIntExact(rows), Math.toIntExact(cols));
    }
}
