package dev.mod4j.runtime.generate;

/**
 * One exchange of a conversation ({@code mod4j chat}).
 *
 * @param user   the user's text
 * @param images how many images the user attached to this message (they go before its text)
 * @param answer the model's answer as kept in the conversation, or null for the answer about to be generated
 */
public record ChatTurn(String user, int images, String answer) {
    public ChatTurn {
        if (user == null || images < 0) {
            throw new IllegalArgumentException("a turn needs the user's text and an image count >= 0");
        }
    }
}
