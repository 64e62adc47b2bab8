package dev.mod4j.runtime.generate;

import dev.mod4j.loaders.InvalidInputException;

import java.util.List;

/**
 * A chat conversation as a client sends it (OpenAI's {@code messages}, llava-hf's {@code conversation}): messages
 * with a role ({@code system}, {@code user}, {@code assistant}) and content parts in order, text or an image.
 * {@link PromptFormat#render(Conversation)} turns it into the text the checkpoint's software would build.
 */
public record Conversation(List<Message> messages) {
    public static final String SYSTEM = "system";
    public static final String USER = "user";
    public static final String ASSISTANT = "assistant";

    /** A piece of a message's content. */
    public sealed interface Part permits Text, Image {
    }

    /** Text content. */
    public record Text(String text) implements Part {
    }

    /** An image, the n-th image of the conversation counting in order. */
    public record Image() implements Part {
    }

    public record Message(String role, List<Part> parts) {
        public Message {
            parts = List.copyOf(parts);
        }

        public int images() {
            return (int) parts.stream().filter(p -> p instanceof Image).count();
        }
    }

    /** Images only in user messages (as OpenAI's API has them); roles are system, user or assistant. */
    public Conversation {
        messages = List.copyOf(messages);
        if (messages.isEmpty()) {
            throw new InvalidInputException("messages", "the conversation has no message");
        }
        for (int i = 0; i < messages.size(); i++) {
            Message m = messages.get(i);
            if (!List.of(SYSTEM, USER, ASSISTANT).contains(m.role())) {
                throw new InvalidInputException("messages[" + i + "].role", "'" + m.role()
                        + "' is not one of system, user, assistant");
            }
            if (!m.role().equals(USER) && m.images() > 0) {
                throw new InvalidInputException("messages[" + i + "].content", "a " + m.role()
                        + " message cannot hold images (only user messages can)");
            }
        }
    }

    /** One user message: {@code images} images, then {@code prompt}. */
    public static Conversation userPrompt(String prompt, int images) {
        List<Part> parts = new java.util.ArrayList<>();
        for (int i = 0; i < images; i++) {
            parts.add(new Image());
        }
        parts.add(new Text(prompt));
        return new Conversation(List.of(new Message(USER, parts)));
    }

    /** Every image of the conversation. */
    public int images() {
        return messages.stream().mapToInt(Message::images).sum();
    }
}
