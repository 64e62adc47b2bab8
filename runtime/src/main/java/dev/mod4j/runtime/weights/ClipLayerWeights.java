package dev.mod4j.runtime.weights;

import dev.mod4j.runtime.tensor.WeightMatrix;

/** One CLIP encoder layer's weights, named as in the checkpoint ({@code layer_norm1}, {@code self_attn.q_proj}, {@code mlp.fc1}, ...). */
public record ClipLayerWeights(float[] layerNorm1Weight, float[] layerNorm1Bias,
                               WeightMatrix qProj, float[] qBias, WeightMatrix kProj, float[] kBias,
                               WeightMatrix vProj, float[] vBias, WeightMatrix outProj, float[] outBias,
                               float[] layerNorm2Weight, float[] layerNorm2Bias,
                               WeightMatrix fc1, float[] fc1Bias, WeightMatrix fc2, float[] fc2Bias) {
}
