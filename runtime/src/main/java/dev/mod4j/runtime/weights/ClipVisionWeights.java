package dev.mod4j.runtime.weights;

import dev.mod4j.loaders.config.ClipVisionConfig;
import dev.mod4j.loaders.layout.CheckpointLayout;
import dev.mod4j.loaders.safetensors.Checkpoint;
import dev.mod4j.runtime.tensor.Linear;
import dev.mod4j.runtime.tensor.WeightMatrix;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * A CLIP vision tower's weights. The patch embedding (a convolution with stride = kernel = patch size) is kept as an
 * [hidden, channels·patch·patch] matrix: applied to each flattened patch it is the convolution.
 */
public record ClipVisionWeights(float[] classEmbedding, WeightMatrix patchEmbedding, float[] positionEmbedding,
                                float[] preLayernormWeight, float[] preLayernormBias, List<ClipLayerWeights> layers) {

    public static ClipVisionWeights load(Checkpoint checkpoint, CheckpointLayout layout, ClipVisionConfig config) {
        Function<String, float[]> vec = s -> checkpoint.tensor(layout.visionTensor(s)).toFloatArray();
        Function<String, Linear> linear = s -> new Linear(
                LlamaWeights.matrix(checkpoint.tensor(layout.visionTensor(s + ".weight"))), vec.apply(s + ".bias"));
        List<ClipLayerWeights> layers = new ArrayList<>();
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            String p = "encoder.layers." + i + ".";
            layers.add(new ClipLayerWeights(
                    vec.apply(p + "layer_norm1.weight"), vec.apply(p + "layer_norm1.bias"),
                    linear.apply(p + "self_attn.q_proj"), linear.apply(p + "self_attn.k_proj"),
                    linear.apply(p + "self_attn.v_proj"), linear.apply(p + "self_attn.out_proj"),
                    vec.apply(p + "layer_norm2.weight"), vec.apply(p + "layer_norm2.bias"),
                    linear.apply(p + "mlp.fc1"), linear.apply(p + "mlp.fc2")));
        }
        return new ClipVisionWeights(vec.apply("embeddings.class_embedding"),
                LlamaWeights.flattened(checkpoint.tensor(layout.visionTensor("embeddings.patch_embedding.weight"))),
                vec.apply("embeddings.position_embedding.weight"),
                vec.apply("pre_layrnorm.weight"), vec.apply("pre_layrnorm.bias"), List.copyOf(layers));
    }
}
