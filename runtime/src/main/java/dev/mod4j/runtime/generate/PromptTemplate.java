package dev.mod4j.runtime.generate;

import dev.mod4j.loaders.InvalidInputException;

import java.util.Arrays;

/**
 * Conversation templates by name. {@code vicuna_v1} is LLaVA's {@code conv_vicuna_v1} (llava/conversation.py) as its
 * eval scripts fill it: {@code get_prompt()} of the TWO style, system + " " + "USER: " + message + " " + "ASSISTANT:",
 * the message being {@code DEFAULT_IMAGE_TOKEN + '\n' + question}; {@code plain} passes the prompt as is.
 */
public enum PromptTemplate {
    VICUNA_V1("vicuna_v1") {
        @Override
        public String apply(String prompt, int images) {
            return SYSTEM + " USER: " + "<image>\n".repeat(images) + prompt + " ASSISTANT:";
        }
    },
    /**
     * LLaVA's {@code conv_mistral_instruct} (llava/conversation.py, {@code SeparatorStyle.LLAMA_2} with an empty
     * system and {@code sep = ""}): {@code "[INST] " + message + " [/INST]"}; what LLaVA's cli.py picks for a model
     * whose name holds "mistral" (llava-v1.6-mistral-7b).
     */
    MISTRAL_INSTRUCT("mistral_instruct") {
        @Override
        public String apply(String prompt, int images) {
            return "[INST] " + "<image>\n".repeat(images) + prompt + " [/INST]";
        }
    },
    PLAIN("plain") {
        @Override
        public String apply(String prompt, int images) {
            return "<image>\n".repeat(images) + prompt;
        }
    };

    /**
     * conv_vicuna_v1's system line (LLaVA's llava/conversation.py; LLaVA-1.5's eval scripts pass --conv-mode
     * vicuna_v1). "human" is conv_llava_v1's wording, a different template.
     */
    public static final String SYSTEM = "A chat between a curious user and an artificial intelligence assistant. "
            + "The assistant gives helpful, detailed, and polite answers to the user's questions.";

    private final String id;

    PromptTemplate(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    /** The text to tokenize for a user prompt with {@code images} image placeholders before it. */
    public abstract String apply(String prompt, int images);

    public static PromptTemplate byName(String name) {
        return Arrays.stream(values()).filter(t -> t.id.equals(name)).findFirst()
                .orElseThrow(() -> new InvalidInputException("prompt template", "unknown template '" + name
                        + "' (known: " + Arrays.stream(values()).map(PromptTemplate::id).toList() + ")"));
    }
}
