package dev.mod4j.runtime.weights;

import dev.mod4j.loaders.config.LlamaConfig;
import dev.mod4j.loaders.layout.CheckpointLayout;
import dev.mod4j.loaders.layout.ModelFiles;
import dev.mod4j.loaders.safetensors.Checkpoint;
import dev.mod4j.loaders.safetensors.CheckpointFormatException;
import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.loaders.safetensors.Tensor;
import dev.mod4j.runtime.tensor.Linear;
import dev.mod4j.runtime.tensor.WeightMatrix;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * A LLaMA decoder's weights as the checkpoint holds them: views into its memory (nothing large is copied),
 * row-major. A backend prepares its own layout from these views when it is built (the CPU backend interleaves
 * weights read into memory for its decode kernels, in place), so after that only the backend's copy of the
 * record describes the memory correctly ({@link dev.mod4j.runtime.backend.Backend#hostWeights()}).
 */
public record LlamaWeights(WeightMatrix embedTokens, List<DecoderLayerWeights> layers, float[] norm,
                           WeightMatrix lmHead) {

    public static LlamaWeights load(ModelFiles files) {
        LlamaConfig c = files.config().text();
        Checkpoint ckpt = files.language();
        CheckpointLayout layout = files.layout();
        WeightMatrix embed = matrix(ckpt.tensor(layout.embedTokens()));
        List<DecoderLayerWeights> layers = new ArrayList<>();
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            int layer = i;
            Function<String, Tensor> t = suffix -> files.layerTensor(layer, suffix);
            Function<String, Linear> projection = name -> {
                String bias = name + ".bias";
                return new Linear(matrix(t.apply(name + ".weight")),
                        ckpt.contains(layout.layerTensor(ckpt, layer, bias)) ? t.apply(bias).toFloatArray() : null);
            };
            layers.add(new DecoderLayerWeights(i,
                    t.apply("input_layernorm.weight").toFloatArray(),
                    projection.apply("self_attn.q_proj"),
                    projection.apply("self_attn.k_proj"),
                    projection.apply("self_attn.v_proj"),
                    projection.apply("self_attn.o_proj"),
                    t.apply("post_attention_layernorm.weight").toFloatArray(),
                    projection.apply("mlp.gate_proj"),
                    projection.apply("mlp.up_proj"),
                    projection.apply("mlp.down_proj")));
        }
        warnOfUnusedLayers(files);
        float[] norm = ckpt.tensor(layout.finalNorm()).toFloatArray();
        WeightMatrix head = c.tieWordEmbeddings() ? embed : matrix(ckpt.tensor(layout.lmHead()));
        return new LlamaWeights(embed, List.copyOf(layers), norm, head);
    }

    /**
     * Decoder layers the checkpoint holds beyond {@code num_hidden_layers} are not run: as transformers does, say so
     * once (a warning naming them), since a truncated config is usually a mistake.
     */
    static void warnOfUnusedLayers(ModelFiles files) {
        List<Integer> unused = unusedLayers(files);
        if (!unused.isEmpty()) {
            System.getLogger(LlamaWeights.class.getName()).log(System.Logger.Level.WARNING, files.config().file()
                    + ": num_hidden_layers is " + files.config().text().numHiddenLayers() + " but the checkpoint also"
                    + " holds layers " + unused + "; they are not used");
        }
    }

    /** Layer indices at or beyond num_hidden_layers that have tensors in the checkpoint, ascending. */
    public static List<Integer> unusedLayers(ModelFiles files) {
        String prefix = files.layout().languagePrefix() + "layers.";
        int count = files.config().text().numHiddenLayers();
        java.util.TreeSet<Integer> unused = new java.util.TreeSet<>();
        for (String name : files.language().tensorNames()) {
            if (!name.startsWith(prefix)) {
                continue;
            }
            int end = name.indexOf('.', prefix.length());
            String index = name.substring(prefix.length(), end < 0 ? name.length() : end);
            if (!index.isEmpty() && index.length() < 8 && index.chars().allMatch(Character::isDigit)
                    && Integer.parseInt(index) >= count) {
                unused.add(Integer.parseInt(index));
            }
        }
        return List.copyOf(unused);
    }

    /** Whether the LM head is the embedding matrix itself ({@code tie_word_embeddings}). */
    public boolean tiedEmbeddings() {
        return lmHead == embedTokens;
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
