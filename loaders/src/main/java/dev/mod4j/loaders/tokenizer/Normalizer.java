package dev.mod4j.loaders.tokenizer;

import java.util.List;

/**
 * The {@code normalizer} of tokenizer.json, limited to the steps LLaMA-family files use. Like HF
 * tokenizers, it is applied to each piece of text between added tokens separately.
 */
sealed interface Normalizer {
    String normalize(String text);

    /** No normalizer ({@code "normalizer": null}). */
    Normalizer IDENTITY = new Sequence(List.of());

    /** {@code {"type": "Prepend", "prepend": "▁"}}: adds the prefix to any non-empty text. */
    record Prepend(String prefix) implements Normalizer {
        @Override
        public String normalize(String text) {
            return text.isEmpty() ? text : prefix + text;
        }
    }

    /**
     * {@code {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}}: replaces every
     * non-overlapping occurrence, left to right. Regex patterns are not supported.
     */
    record Replace(String pattern, String content) implements Normalizer {
        @Override
        public String normalize(String text) {
            return pattern.isEmpty() ? text : text.replace(pattern, content);
        }
    }

    /** {@code {"type": "Sequence", "normalizers": [...]}}: each step on the previous one's output. */
    record Sequence(List<Normalizer> steps) implements Normalizer {
        public Sequence {
            steps = List.copyOf(steps);
        }

        @Override
        public String normalize(String text) {
            for (Normalizer step : steps) {
                text = step.normalize(text);
            }
            return text;
        }
    }
}
