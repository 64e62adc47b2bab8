package dev.mod4j.api;

import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.config.ClipVisionConfig;
import dev.mod4j.loaders.npy.NpyArray;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * An image for the model: the pixel values its vision tower reads, and the picture those values show (for the
 * report's patch strips, whose grid lies over exactly what the tower saw).
 *
 * <p>Implementations: {@link #of(Path)} opens a {@code .npy} file of preprocessed pixel values or a PNG/JPEG through
 * {@link SimplePreprocessing}; {@link #ofPixels} wraps pixel values already in memory; {@link #ofPicture} an RGB
 * picture. The proper LLaVA preprocessing (PIL-exact decode, pad to square, bicubic resize, center crop) plugs in as
 * one more implementation of this interface: {@code pixelValues} from the preprocessor, {@code picture} from its
 * cropped stage.
 */
public interface ImageInput {
    /** A name for reports (the file name, or what the caller gave). */
    String name();

    /** The tower's input: float32 [3 × size × size], channel-major, normalized, for a tower of that input size. */
    float[] pixelValues(ClipVisionConfig tower);

    /** The picture at the tower's input size, as the tower saw it (after resizing and cropping). */
    RgbImage picture(ClipVisionConfig tower);

    /** A {@code .npy} file of pixel values ([1,3,H,W] or [3,H,W]) or an image file (PNG, JPEG, by content). */
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
        return ofPicture(file.getFileName().toString(), SimplePreprocessing.read(file));
    }

    /** Pixel values already preprocessed ([3·H·H]); the picture is recovered by undoing CLIP's normalization. */
    static ImageInput ofPixels(String name, float[] pixelValues) {
        return new ImageInput() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public float[] pixelValues(ClipVisionConfig tower) {
                int expected = 3 * tower.imageSize() * tower.imageSize();
                if (pixelValues.length != expected) {
                    throw new InvalidInputException(name, "has " + pixelValues.length + " pixel values; the vision"
                            + " tower takes 3×" + tower.imageSize() + "×" + tower.imageSize() + " = " + expected);
                }
                return pixelValues;
            }

            @Override
            public RgbImage picture(ClipVisionConfig tower) {
                return SimplePreprocessing.denormalize(pixelValues(tower), tower.imageSize());
            }
        };
    }

    /** An RGB picture of any size, made into pixel values by {@link SimplePreprocessing}. */
    static ImageInput ofPicture(String name, RgbImage picture) {
        return new ImageInput() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public float[] pixelValues(ClipVisionConfig tower) {
                return SimplePreprocessing.normalize(picture(tower));
            }

            @Override
            public RgbImage picture(ClipVisionConfig tower) {
                return SimplePreprocessing.resize(picture, tower.imageSize());
            }
        };
    }
}
