package dev.mod4j.server;

import dev.mod4j.runtime.generate.Conversation;

import java.util.ArrayList;
import java.util.List;

/**
 * A request's messages as a {@link Conversation} for the checkpoint's prompt format (which renders the system message,
 * the earlier turns and the images where the checkpoint's software puts them), and the image URLs in the order the
 * images come in the conversation.
 *
 * @param conversation the messages, each image part an image of the conversation
 * @param images       the image parts' URLs in order, with where each stands in the request
 */
record ChatPrompt(Conversation conversation, List<Located> images) {

    /** An image part's URL and its place in the request ({@code messages[i].content[j]}). */
    record Located(String url, String where) {
    }

    static ChatPrompt of(List<ChatMessage> messages) {
        List<Conversation.Message> turns = new ArrayList<>();
        List<Located> images = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            ChatMessage m = messages.get(i);
            List<Conversation.Part> parts = new ArrayList<>();
            for (int j = 0; j < m.parts().size(); j++) {
                switch (m.parts().get(j)) {
                    case ChatMessage.Text t -> parts.add(new Conversation.Text(t.text()));
                    case ChatMessage.ImageUrl image -> {
                        parts.add(new Conversation.Image());
                        images.add(new Located(image.url(), "messages[" + i + "].content[" + j + "]"));
                    }
                }
            }
            if (parts.isEmpty()) {
                // content null (an assistant turn that only called tools): an empty message.
                parts.add(new Conversation.Text(""));
            }
            // OpenAI's "developer" role is its newer name for the system message.
            String role = m.role().equals("developer") ? Conversation.SYSTEM : m.role();
            turns.add(new Conversation.Message(role, parts));
        }
        try {
            return new ChatPrompt(new Conversation(turns), images);
        } catch (dev.mod4j.loaders.InvalidInputException e) {
            throw ApiError.invalidRequest(e.source(), e.getMessage());
        }
    }
}
