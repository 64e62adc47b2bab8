package dev.mod4j.runtime.backend;

import dev.mod4j.loaders.config.LlamaConfig;
import dev.mod4j.runtime.weights.LlamaWeights;

/**
 * What a backend is built from: the decoder's config and weights as the checkpoint holds them (row-major views; the
 * backend prepares its own layout from them), the rotary tables, and the vision parts when the model has a tower.
 *
 * @param vision null for a text-only model, or a multimodal one whose vision tower is not on disk
 */
public record ModelParts(LlamaConfig config, LlamaWeights weights, RotaryEmbedding rope, VisionParts vision) {
}
