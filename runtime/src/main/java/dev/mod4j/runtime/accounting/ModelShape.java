package dev.mod4j.runtime.accounting;

import dev.mod4j.loaders.config.LlamaConfig;

/**
 * The decoder dimensions that FLOPs and KV-cache accounting need, and nothing else, so that a hypothetical
 * model (a paper's table row) can be costed without a checkpoint.
 *
 * @param layers       decoder layers {@code L} ({@code num_hidden_layers})
 * @param hidden       hidden size {@code d} ({@code hidden_size})
 * @param intermediate SwiGLU MLP width {@code m} ({@code intermediate_size})
 * @param heads        query heads {@code H} ({@code num_attention_heads})
 * @param kvHeads      key/value heads ({@code num_key_value_heads}; equal to {@code heads} without GQA)
 * @param headDim      per-head width {@code d_h} ({@code head_dim}, usually {@code d / H})
 * @param vocab        vocabulary size ({@code vocab_size}), the LM head's output width
 */
public record ModelShape(int layers, int hidden, int intermediate, int heads, int kvHeads, int headDim, int vocab) {

    /** Vicuna-7B v1.5, the LLM of LLaVA-1.5-7B, LLaVA-NeXT-7B and LLaVA-HR-7B (docs/methods.md §1.1). */
    public static final ModelShape VICUNA_7B = new ModelShape(32, 4096, 11008, 32, 32, 128, 32000);

    /** Vicuna-13B v1.5, the LLM of LLaVA-1.5-13B and LLaVA-HR-13B (docs/methods.md §1.1). */
    public static final ModelShape VICUNA_13B = new ModelShape(40, 5120, 13824, 40, 40, 128, 32000);

    public ModelShape {
        if (layers <= 0 || hidden <= 0 || intermediate <= 0 || heads <= 0 || kvHeads <= 0 || headDim <= 0
                || vocab <= 0) {
            throw new IllegalArgumentException("model dimensions must be positive: " + layers + " layers, d=" + hidden
                    + ", m=" + intermediate + ", " + heads + " heads, " + kvHeads + " kv heads, head_dim=" + headDim
                    + ", vocab=" + vocab);
        }
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException(heads + " query heads are not a multiple of " + kvHeads + " kv heads");
        }
    }

    public static ModelShape of(LlamaConfig config) {
        return new ModelShape(config.numHiddenLayers(), config.hiddenSize(), config.intermediateSize(),
                config.numAttentionHeads(), config.numKeyValueHeads(), config.headDim(), config.vocabSize());
    }

    /** Width of the concatenated query heads, {@code H·d_h}. */
    public int queryWidth() {
        return heads * headDim;
    }

    /** Width of one of K or V across the kv heads, {@code KV·d_h}. */
    public int kvWidth() {
        return kvHeads * headDim;
    }
}
