package dev.mod4j.runtime.weights;

import dev.mod4j.runtime.tensor.Linear;

/**
 * One LLaMA decoder layer's weights, named as in the checkpoint ({@code self_attn.q_proj}, {@code mlp.gate_proj}, ...).
 * Norm weights are small and copied to float arrays; projections stay in the checkpoint's memory and dtype, with a
 * bias only where the config has {@code attention_bias} / {@code mlp_bias}.
 */
public record DecoderLayerWeights(int index, float[] inputLayernorm, Linear qProj, Linear kProj, Linear vProj,
                                  Linear oProj, float[] postAttentionLayernorm, Linear gateProj, Linear upProj,
                                  Linear downProj) {
}
