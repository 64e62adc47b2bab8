package dev.mod4j.loaders.image;

import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.config.ModelFamily;
import dev.mod4j.loaders.config.MultimodalConfig;

import java.util.Locale;

/** How an image that is not square becomes the tower's square input. */
public enum ImageAspect {
    /**
     * Pad to a square of the processor's mean colour ({@code int(mean * 255)}), image centred with offsets rounded
     * down, then resize and crop: LLaVA's {@code expand2square} ({@code image_aspect_ratio: pad}) and
     * transformers' {@code LlavaImageProcessor.pad_to_square} ({@code do_pad: true}), which give the same pixels.
     */
    PAD,
    /** CLIP's own processing: resize the shortest edge, centre-crop; what lies beyond the square is cut off. */
    CROP;

    /**
     * The checkpoint's own choice, as its software makes it: llava-hf checkpoints follow their
     * {@code preprocessor_config.json} (transformers ignores {@code image_aspect_ratio} in config.json); the
     * original layout follows {@code image_aspect_ratio} in config.json, padding only for {@code pad} (LLaVA's
     * {@code process_images}).
     */
    public static ImageAspect of(ModelFamily family, MultimodalConfig multimodal, PreprocessorConfig processor) {
        if (family == ModelFamily.LLAVA_ORIGINAL) {
            return "pad".equals(multimodal.imageAspectRatio()) ? PAD : CROP;
        }
        return processor.padToSquare() ? PAD : CROP;
    }

    /** {@code pad} or {@code crop}; {@code source} names the option in the error. */
    public static ImageAspect parse(String value, String source) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "pad" -> PAD;
            case "crop" -> CROP;
            default -> throw new InvalidInputException(source, "expected pad or crop, got '" + value + "'");
        };
    }

    /** The name as the command line writes it. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
