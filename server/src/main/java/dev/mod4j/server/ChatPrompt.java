package dev.mod4j.server;

import dev.mod4j.runtime.generate.PromptEncoder;

import java.util.ArrayList;
import java.util.List;

/**
 * A request's messages as {@code mod4j generate}'s prompt: the user's text and the images. Images that come before
 * all text go before the question, as {@code generate --image} puts them; an image after text becomes an
 * {@code <image>} marker where it stands, so the prompt format places it there.
 *
 * @param text   the user's text (text parts joined by newlines, with markers for images after text)
 * @param images the image parts in order
 */
record ChatPrompt(String text, List<ChatMessage.ImageUrl> images) {

    /** One user message (earlier turns and system prompts are refused: the prompt formats take one question). */
    static ChatPrompt of(List<ChatMessage> messages) {
        List<ChatMessage> turns = messages.stream().filter(m -> !m.parts().isEmpty() || !m.role().equals("system"))
                .toList();
        if (turns.size() != 1 || !turns.getFirst().role().equals("user")) {
            throw ApiError.invalidRequest("messages", "this server answers one user message per request (got "
                    + messages.size() + " messages with roles " + messages.stream().map(ChatMessage::role).toList()
                    + "); multi-turn conversations and system prompts are not supported yet");
        }
        List<ChatMessage.Part> parts = turns.getFirst().parts();
        boolean imageAfterText = false;
        boolean sawText = false;
        for (ChatMessage.Part p : parts) {
            sawText |= p instanceof ChatMessage.Text;
            imageAfterText |= sawText && p instanceof ChatMessage.ImageUrl;
        }
        List<String> pieces = new ArrayList<>();
        for (ChatMessage.Part p : parts) {
            switch (p) {
                case ChatMessage.Text t -> pieces.add(t.text());
                case ChatMessage.ImageUrl ignored -> {
                    if (imageAfterText) {
                        pieces.add(PromptEncoder.IMAGE_MARKER);
                    }
                }
            }
        }
        return new ChatPrompt(String.join("\n", pieces), turns.getFirst().images());
    }
}
