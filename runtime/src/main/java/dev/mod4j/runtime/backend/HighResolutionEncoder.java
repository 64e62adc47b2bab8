package dev.mod4j.runtime.backend;

/**
 * The image side of a dual-encoder model (LLaVA-HR: a ConvNeXt slow branch beside a CLIP fast branch, fused):
 * one preprocessed image in, the feature rows the projector takes out.
 */
public interface HighResolutionEncoder {
    /** The side of the square pixel values it takes ({@code [3, side, side]}). */
    int imageSize();

    /** Feature rows per image (the image tokens the decoder sees). */
    int featureRows();

    /** Width of a feature row (the projector's input). */
    int featureWidth();

    /** Feature rows [featureRows × featureWidth] of one image. */
    float[] features(float[] pixels);
}
