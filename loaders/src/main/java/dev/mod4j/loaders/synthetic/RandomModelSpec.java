package dev.mod4j.loaders.synthetic;

import dev.mod4j.loaders.config.ClipVisionConfig;
import dev.mod4j.loaders.config.LlamaConfig;
import dev.mod4j.loaders.layout.CheckpointLayout;
import dev.mod4j.loaders.safetensors.DType;

import java.util.List;

/**
 * What {@link RandomModelWriter} writes: a model of the given shapes in a real checkpoint layout with random weights.
 *
 * @param vision        the CLIP tower (null for plain LLaMA)
 * @param routers       which method's router tensors to add
 * @param modLayers     the layers that get routers (γ-MoD's {@code mod_layers_idx} / p-MoD's target layers)
 * @param maxShardBytes split into a sharded set with an index when the weights exceed this (Long.MAX_VALUE: one file)
 * @param weightScale   standard deviation of the random projection weights
 */
public record RandomModelSpec(LlamaConfig text, ClipVisionConfig vision, CheckpointLayout layout, DType dtype,
                              Routers routers, List<Integer> modLayers, long maxShardBytes, long seed,
                              float weightScale) {

    public enum Routers { NONE, GAMMA_MOD, P_MOD }

    public RandomModelSpec {
        modLayers = List.copyOf(modLayers);
        if (dtype != DType.F32 && dtype != DType.F16 && dtype != DType.BF16) {
            throw new IllegalArgumentException("weights can be written as F32, F16 or BF16, not " + dtype);
        }
        if ((vision == null) != (layout == CheckpointLayout.LLAMA)) {
            throw new IllegalArgumentException("a vision tower goes with a LLaVA layout, and only there");
        }
    }

    /** A small LLaMA of the given shape (GQA when kvHeads < heads), F32, one file. */
    public static LlamaConfig tinyLlama(int vocab, int hidden, int intermediate, int layers, int heads, int kvHeads) {
        return new LlamaConfig(vocab, hidden, intermediate, layers, heads, kvHeads, hidden / heads, "silu", 512, 1e-5,
                10000.0, null, false, 1, List.of(2), null, false, false, "float32");
    }

    public static ClipVisionConfig tinyClip(int hidden, int intermediate, int layers, int heads, int imageSize, int patchSize) {
        return new ClipVisionConfig(hidden, intermediate, layers, heads, 3, imageSize, patchSize, "quick_gelu", 1e-5, hidden);
    }

    public RandomModelSpec withLayout(CheckpointLayout newLayout) {
        return new RandomModelSpec(text, vision, newLayout, dtype, routers, modLayers, maxShardBytes, seed, weightScale);
    }

    public RandomModelSpec withDtype(DType newDtype) {
        return new RandomModelSpec(text, vision, layout, newDtype, routers, modLayers, maxShardBytes, seed, weightScale);
    }

    public RandomModelSpec withRouters(Routers newRouters, List<Integer> layers) {
        return new RandomModelSpec(text, vision, layout, dtype, newRouters, layers, maxShardBytes, seed, weightScale);
    }

    public RandomModelSpec withMaxShardBytes(long bytes) {
        return new RandomModelSpec(text, vision, layout, dtype, routers, modLayers, bytes, seed, weightScale);
    }
}
