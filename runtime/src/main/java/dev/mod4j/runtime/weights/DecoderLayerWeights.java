package dev.mod4j.runtime.weights;

import dev.mod4j.runtime.tensor.WeightMatrix;

/**
 * One LLaMA decoder layer's weights, named as in the checkpoint ({@code self_attn.q_proj}, {@code mlp.gate_proj}, ...).
 * Norm weights are small and copied to float arrays; projections stay in the checkpoint's memory and dtype.
 * Biases are null unless the config has {@code attention_bias} / {@code mlp_bias}.
 */
public record DecoderLayerWeights(int index, float[] inputLayernorm, WeightMatrix qProj, WeightMatrix kProj,
                                  WeightMatrix vProj, WeightMatrix oProj, float[] postAttentionLayernorm,
                                  WeightMatrix gateProj, WeightMatrix upProj, WeightMatrix downProj,
                                  float[] qBias, float[] kBias, float[] vBias, float[] oBias,
                                  float[] gateBias, float[] upBias, float[] downBias) {
}
