package dev.mod4j.runtime.generate;

import java.util.List;

/**
 * A multi-turn conversation in one of LLaVA's conversation templates, as {@code Conversation.get_prompt()} renders
 * it (haotian-liu/LLaVA c121f0432da27facab705978f83c4ada465e46fd, llava/conversation.py): the messages alternate
 * USER and ASSISTANT, the last ASSISTANT message empty (the answer to generate). With one turn this is
 * {@link PromptTemplate#apply}'s text.
 */
final class ConversationPrompt {
    private ConversationPrompt() {
    }

    static String render(PromptTemplate template, List<ChatTurn> turns) {
        StringBuilder out = new StringBuilder();
        switch (template) {
            // SeparatorStyle.TWO, sep " ", sep2 "</s>": system + sep, then role + ": " + message + seps[i % 2];
            // the empty last message as role + ":".
            case VICUNA_V1 -> {
                out.append(PromptTemplate.SYSTEM).append(' ');
                for (ChatTurn turn : turns) {
                    out.append("USER: ").append(message(turn)).append(' ');
                    out.append(turn.answer() == null ? "ASSISTANT:" : "ASSISTANT: " + turn.answer() + "</s>");
                }
            }
            // SeparatorStyle.LLAMA_2 with system "" and sep "": "[INST] " + message + " [/INST]" per user message,
            // " " + answer + " " + sep2 per answer.
            case MISTRAL_INSTRUCT -> {
                for (ChatTurn turn : turns) {
                    out.append("[INST] ").append(message(turn)).append(" [/INST]");
                    if (turn.answer() != null) {
                        out.append(' ').append(turn.answer()).append(" </s>");
                    }
                }
            }
            // SeparatorStyle.PLAIN, sep "\n": message + "\n" (LLaVA has no second separator for it; "\n" here too),
            // the last user message without one, as PromptTemplate.PLAIN.
            case PLAIN -> {
                for (ChatTurn turn : turns) {
                    out.append(message(turn));
                    if (turn.answer() != null) {
                        out.append('\n').append(turn.answer()).append('\n');
                    }
                }
            }
        }
        return out.toString();
    }

    /** LLaVA's cli.py: the image token and a newline before the text of the message the image came with. */
    private static String message(ChatTurn turn) {
        return "<image>\n".repeat(turn.images()) + turn.user();
    }
}
