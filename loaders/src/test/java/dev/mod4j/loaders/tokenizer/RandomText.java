package dev.mod4j.loaders.tokenizer;

import java.util.Random;

/** Seeded random Unicode text mixing what real prompts contain and what breaks naive tokenizers. */
final class RandomText {
    private static final String[] WORDS = {"the", "cat", "is", "on", "table", "picture", "USER:", "ASSISTANT:",
            "What", "sitting", "a", "of", "and", "image", "tokens", "The", "12", "3.5", ",", ".", "?", "!"};
    private static final int[][] RANGES = {
            {0x20, 0x7E},       // ASCII printable (but see below: '<' '>' kept out)
            {0x00, 0x1F},       // control characters, including \t \n \r
            {0x7F, 0x9F},       // DEL and C1 controls
            {0xA0, 0x24F},      // Latin-1 and Latin Extended
            {0x300, 0x36F},     // combining marks
            {0x370, 0x52F},     // Greek, Cyrillic
            {0x590, 0x6FF},     // Hebrew, Arabic
            {0x2000, 0x206F},   // general punctuation, odd spaces, zero-width joiners
            {0x3040, 0x30FF},   // kana
            {0x4E00, 0x9FFF},   // CJK
            {0xAC00, 0xD7A3},   // Hangul
            {0xE000, 0xF8FF},   // private use
            {0xFFF0, 0xFFFD},   // specials, including U+FFFD itself
            {0x1F300, 0x1FAFF}, // emoji
            {0x10000, 0x10FFFF} // anything supplementary
    };

    private RandomText() {
    }

    /**
     * A string of up to {@code maxParts} words, spaces and random characters. It never contains
     * U+2581 (which the LLaMA decoder turns into a space) or '<' (so no added-token text).
     */
    static String of(Random random, int maxParts) {
        StringBuilder sb = new StringBuilder();
        int parts = random.nextInt(maxParts + 1);
        for (int i = 0; i < parts; i++) {
            switch (random.nextInt(6)) {
                case 0, 1 -> sb.append(WORDS[random.nextInt(WORDS.length)]);
                case 2 -> sb.append(" ".repeat(1 + random.nextInt(3)));
                case 3 -> sb.append(random.nextBoolean() ? '\n' : '\t');
                default -> {
                    int[] range = RANGES[random.nextInt(RANGES.length)];
                    int cp = range[0] + random.nextInt(range[1] - range[0] + 1);
                    if (cp == '<' || cp == 0x2581 || (cp >= 0xD800 && cp <= 0xDFFF)) {
                        cp = 'x';
                    }
                    sb.appendCodePoint(cp);
                }
            }
        }
        return sb.toString();
    }
}
