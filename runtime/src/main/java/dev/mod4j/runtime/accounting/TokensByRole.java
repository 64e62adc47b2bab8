package dev.mod4j.runtime.accounting;

import dev.mod4j.runtime.prompt.TokenRole;

/**
 * Token counts split by {@link TokenRole}. The split matters because the papers count different tokens:
 * PyramidDrop's FLOPs count image tokens only, γ-MoD's count everything (docs/methods.md §2).
 *
 * @param system      text before the image (BOS, system prompt, "USER:")
 * @param image       projected image feature rows
 * @param instruction prompt text after the image (question, "ASSISTANT:")
 * @param response    generated tokens
 */
public record TokensByRole(int system, int image, int instruction, int response) {

    public static final TokensByRole NONE = new TokensByRole(0, 0, 0, 0);

    public TokensByRole {
        if (system < 0 || image < 0 || instruction < 0 || response < 0) {
            throw new IllegalArgumentException("token counts must be non-negative: " + system + " system, " + image
                    + " image, " + instruction + " instruction, " + response + " response");
        }
    }

    /** A prompt: text, then the image, then the question. */
    public static TokensByRole prompt(int system, int image, int instruction) {
        return new TokensByRole(system, image, instruction, 0);
    }

    /** The count of each role among {@code roles} (e.g. a layer's processed positions). */
    public static TokensByRole count(TokenRole... roles) {
        int[] counts = new int[TokenRole.values().length];
        for (TokenRole role : roles) {
            counts[role.ordinal()]++;
        }
        return new TokensByRole(counts[TokenRole.SYSTEM.ordinal()], counts[TokenRole.IMAGE.ordinal()],
                counts[TokenRole.INSTRUCTION.ordinal()], counts[TokenRole.RESPONSE.ordinal()]);
    }

    public int total() {
        return system + image + instruction + response;
    }

    /** Every token that is not an image row. */
    public int text() {
        return system + instruction + response;
    }

    public int of(TokenRole role) {
        return switch (role) {
            case SYSTEM -> system;
            case IMAGE -> image;
            case INSTRUCTION -> instruction;
            case RESPONSE -> response;
        };
    }

    /** The same text tokens with a different number of image tokens (what a vision-token schedule changes). */
    public TokensByRole withImage(int imageTokens) {
        return new TokensByRole(system, imageTokens, instruction, response);
    }

    public TokensByRole plus(TokensByRole other) {
        return new TokensByRole(system + other.system, image + other.image, instruction + other.instruction,
                response + other.response);
    }
}
