package dev.mod4j.loaders.config;

/**
 * The {@code rope_scaling} entry of a LLaMA config ({@code type} or {@code rope_type}, {@code factor}, ...).
 * Parsed for every kind; the decoder decides which kinds it can run and rejects the others by name.
 */
public record RopeScaling(String type, double factor, Integer originalMaxPositionEmbeddings,
                          double lowFreqFactor, double highFreqFactor) {
}
