package dev.mod4j.loaders.image;

import java.util.Arrays;

/**
 * An 8-bit RGB image: {@code rgb} holds {@code height} rows of {@code width} pixels, each pixel three bytes
 * R, G, B (unsigned), rows top to bottom, no padding. This is what PIL's {@code Image.convert("RGB")} holds, and
 * the input and the intermediate stages (padded, resized, cropped) of {@link ImagePreprocessor}.
 */
public record DecodedImage(int width, int height, byte[] rgb) {

    public DecodedImage {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
        }
        if ((long) width * height * 3 != rgb.length) {
            throw new IllegalArgumentException(width + "x" + height + " RGB needs " + ((long) width * height * 3)
                    + " bytes, got " + rgb.length);
        }
    }

    /** A {@code width x height} image filled with one colour (components 0..255). */
    public static DecodedImage filled(int width, int height, int r, int g, int b) {
        if ((long) width * height * 3 > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(width + "x" + height + " is too large for one RGB array");
        }
        byte[] rgb = new byte[width * height * 3];
        for (int i = 0; i < rgb.length; i += 3) {
            rgb[i] = (byte) r;
            rgb[i + 1] = (byte) g;
            rgb[i + 2] = (byte) b;
        }
        return new DecodedImage(width, height, rgb);
    }

    /** Component {@code c} (0 = R, 1 = G, 2 = B) of pixel (x, y), 0..255. */
    public int sample(int x, int y, int c) {
        return rgb[(y * width + x) * 3 + c] & 0xFF;
    }

    public long pixelCount() {
        return (long) width * height;
    }

    /** Same size and same bytes. */
    public boolean samePixels(DecodedImage other) {
        return width == other.width && height == other.height && Arrays.equals(rgb, other.rgb);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DecodedImage d && samePixels(d);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * width + height) + Arrays.hashCode(rgb);
    }

    @Override
    public String toString() {
        return "DecodedImage[" + width + "x" + height + " RGB]";
    }
}
