package dev.mod4j.loaders.image;

/**
 * One image preprocessed for an anyres (LLaVA-NeXT) model: the whole image squashed to the base size, then the
 * tiles of the resized and padded image row by row, each crop as the CLIP processor's {@code pixel_values}.
 *
 * @param pixels     {@code [crops, 3, size, size]} floats, the base image first
 * @param crops      1 + gridRows · gridColumns
 * @param size       the side of a crop (the tower's image size)
 * @param width      the original image's width (what {@code image_sizes} carries to the model's unpadding)
 * @param height     the original image's height
 * @param gridRows   tiles down
 * @param gridColumns tiles across
 */
public record AnyresImage(float[] pixels, int crops, int size, int width, int height, int gridRows,
                          int gridColumns) {
    public AnyresImage {
        if (crops != 1 + gridRows * gridColumns || (long) crops * 3 * size * size != pixels.length) {
            throw new IllegalArgumentException(crops + " crops of " + size + " px on a " + gridRows + "x"
                    + gridColumns + " grid do not match " + pixels.length + " pixel values");
        }
    }

    /** Crop {@code index} (0 = the base image) as {@code [3, size, size]}. */
    public float[] crop(int index) {
        int n = 3 * size * size;
        return java.util.Arrays.copyOfRange(pixels, index * n, (index + 1) * n);
    }
}
