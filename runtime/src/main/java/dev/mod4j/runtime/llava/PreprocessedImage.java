package dev.mod4j.runtime.llava;

import dev.mod4j.loaders.image.AnyresImage;

/**
 * One image as the vision tower takes it: one square crop (LLaVA-1.5), or an anyres image's crops, base image
 * first, with what the feature packing needs to know about it (the original size for unpadding, the grid).
 *
 * @param pixels      {@code [crops, 3, size, size]} floats
 * @param crops       number of crops (1 for a single-crop image)
 * @param width       the original image's width (0 when unknown: a single crop given as pixel values)
 * @param height      the original image's height
 * @param gridRows    tiles down (0 for a single crop)
 * @param gridColumns tiles across (0 for a single crop)
 */
public record PreprocessedImage(float[] pixels, int crops, int width, int height, int gridRows, int gridColumns) {

    public PreprocessedImage {
        if (crops < 1 || pixels.length % crops != 0 || crops > 1 && crops != 1 + gridRows * gridColumns) {
            throw new IllegalArgumentException(crops + " crops on a " + gridRows + "x" + gridColumns + " grid, "
                    + pixels.length + " pixel values");
        }
    }

    /** A single crop's pixel values, {@code [3, size, size]} (LLaVA-1.5's input, or an anyres model's base view). */
    public static PreprocessedImage single(float[] pixels) {
        return new PreprocessedImage(pixels, 1, 0, 0, 0, 0);
    }

    public static PreprocessedImage of(AnyresImage image) {
        return new PreprocessedImage(image.pixels(), image.crops(), image.width(), image.height(), image.gridRows(),
                image.gridColumns());
    }

    /** Crop {@code index} (0 = the base image), {@code [3, size, size]}. */
    public float[] crop(int index) {
        int n = pixels.length / crops;
        return java.util.Arrays.copyOfRange(pixels, index * n, (index + 1) * n);
    }

    /** Whether this image has tiles beside its base view. */
    public boolean isTiled() {
        return crops > 1;
    }
}
