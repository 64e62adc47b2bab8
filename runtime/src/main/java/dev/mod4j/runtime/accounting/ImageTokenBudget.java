package dev.mod4j.runtime.accounting;

/**
 * How many image tokens a vision-token schedule lets each layer process, as a pure function of the layer and the
 * image-token count (p-MoD's PRD, PyramidDrop's stages, FastV's pruning). Text tokens are always processed.
 */
@FunctionalInterface
public interface ImageTokenBudget {

    /** The dense model's budget: every image token at every layer. */
    ImageTokenBudget DENSE = (layer, imageTokens) -> imageTokens;

    /** Image tokens processed by 0-based {@code layer} when the prompt holds {@code imageTokens}. */
    int imageTokensAtLayer(int layer, int imageTokens);
}
