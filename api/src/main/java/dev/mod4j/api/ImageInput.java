package dev.mod4j.api;

import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.image.DecodedImage;
import dev.mod4j.loaders.image.ImageDecoder;
import dev.mod4j.loaders.npy.NpyArray;
import dev.mod4j.runtime.llava.MultimodalModel;
import dev.mod4j.runtime.llava.PreprocessedImage;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * An image for the model: the pixel values its vision tower reads, and the picture those values show (for the
 * report's patch strips, whose grid lies over exactly what the tower saw).
 *
 * <p>{@link #of(Path)} opens a PNG or JPEG file (decoded and preprocessed as LLaVA-1.5 does, by
 * {@link MultimodalModel#preprocess}) or a {@code .npy} file of pixel values already preprocessed;
 * {@link #ofImage} and {@link #ofPicture} take a decoded image in memory, {@link #ofPixels} pixel values.
 */
public interface ImageInput {
    /** A name for reports (the file name, or what the caller gave). */
    String name();

    /**
     * The tower's input for {@code model}: float32 [3 × size × size], channel-major, normalized (for an anyres
     * model, the base view: the whole image squashed to the tower's size).
     */
    float[] pixelValues(MultimodalModel model);

    /** Everything the tower reads for this image: one crop, or an anyres (LLaVA-NeXT) model's crops. */
    default PreprocessedImage preprocessed(MultimodalModel model) {
        return PreprocessedImage.single(pixelValues(model));
    }

    /** The picture at the tower's input size, as the tower saw it (padded, resized, cropped): CLIP's normalization
     * undone on {@link #pixelValues}. */
    default RgbImage picture(MultimodalModel model) {
        return PixelValues.denormalize(pixelValues(model), model.visionConfig().imageSize());
    }

    /** A PNG or JPEG file (by content), or a {@code .npy} of pixel values ([1,3,H,H] or [3,H,H]). */
    static ImageInput of(Path file) {
        if (file.getFileName().toString().toLowerCase().endsWith(".npy")) {
            NpyArray array = NpyArray.read(file);
            long[] s = array.shape();
            boolean ok = s.length == 4 && s[0] == 1 && s[1] == 3 || s.length == 3 && s[0] == 3;
            if (!ok || s[s.length - 1] != s[s.length - 2]) {
                throw new InvalidInputException(file.toString(), "expected square pixel values of shape [1,3,H,H] or"
                        + " [3,H,H], found " + Arrays.toString(s));
            }
            return ofPixels(file.getFileName().toString(), array.data());
        }
        return ofImage(file.getFileName().toString(), ImageDecoder.decode(file));
    }

    /** Pixel values already preprocessed, [3·H·H]. */
    static ImageInput ofPixels(String name, float[] pixelValues) {
        return new ImageInput() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public float[] pixelValues(MultimodalModel model) {
                int size = model.visionConfig().imageSize();
                if (pixelValues.length != 3 * size * size) {
                    throw new InvalidInputException(name, "has " + pixelValues.length + " pixel values; the vision"
                            + " tower takes 3×" + size + "×" + size + " = " + 3 * size * size);
                }
                return pixelValues;
            }
        };
    }

    /** A decoded image of any size, preprocessed by the model as LLaVA-1.5 does. */
    static ImageInput ofImage(String name, DecodedImage image) {
        return new ImageInput() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public float[] pixelValues(MultimodalModel model) {
                return model.anyresSettings() != null ? preprocessed(model).crop(0) : model.preprocess(image);
            }

            @Override
            public PreprocessedImage preprocessed(MultimodalModel model) {
                return model.preprocessImage(image);
            }
        };
    }

    /** An RGB picture of any size (the same bytes as a decoded image), preprocessed by the model. */
    static ImageInput ofPicture(String name, RgbImage picture) {
        return ofImage(name, new DecodedImage(picture.width(), picture.height(), picture.rgb()));
    }
}
