package dev.mod4j.loaders.config;

/** Which kind of checkpoint a config.json describes. */
public enum ModelFamily {
    /** A plain {@code LlamaForCausalLM}. */
    LLAMA,
    /** transformers' {@code LlavaForConditionalGeneration} (llava-hf): text_config + vision_config in one file. */
    LLAVA_HF,
    /**
     * The original LLaVA repository's flat config ({@code LlavaLlamaForCausalLM} and the γ-MoD / p-MoD / PDrop
     * variants built on it): LLaMA fields plus {@code mm_*}, the CLIP tower in a separate checkpoint.
     */
    LLAVA_ORIGINAL
}
