package dev.mod4j.server;

import java.util.List;

/**
 * One message of a chat-completions request: its role and its content parts in order (a string content is one
 * text part).
 */
public record ChatMessage(String role, List<Part> parts) {
    /** A piece of a message's content. */
    public sealed interface Part permits Text, ImageUrl {
    }

    /** {@code {"type": "text", "text": ...}}. */
    public record Text(String text) implements Part {
    }

    /** {@code {"type": "image_url", "image_url": {"url": ...}}}: a data, file or http(s) URL. */
    public record ImageUrl(String url) implements Part {
    }

    /** The images of the message, in order. */
    public List<ImageUrl> images() {
        return parts.stream().filter(p -> p instanceof ImageUrl).map(p -> (ImageUrl) p).toList();
    }
}
