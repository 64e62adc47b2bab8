package dev.mod4j.runtime.weights;

import dev.mod4j.runtime.tensor.Linear;

/** One CLIP encoder layer's weights, named as in the checkpoint ({@code layer_norm1}, {@code self_attn.q_proj}, {@code mlp.fc1}, ...). */
public record ClipLayerWeights(float[] layerNorm1Weight, float[] layerNorm1Bias, Linear qProj, Linear kProj,
                               Linear vProj, Linear outProj, float[] layerNorm2Weight, float[] layerNorm2Bias,
                               Linear fc1, Linear fc2) {
}
