package dev.mod4j.api;

import dev.mod4j.loaders.InvalidInputException;

import javax.imageio.ImageIO;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A stand-in for LLaVA's image preprocessing, good enough for demos and reports: decode with {@code javax.imageio},
 * squash to the tower's square input size with bilinear interpolation, normalize with CLIP's mean and standard
 * deviation. It is NOT what LLaVA does (pad to square, PIL bicubic resize, center crop): answers of a real model
 * will differ slightly from PyTorch's. The exact preprocessing plugs in as an {@link ImageInput}; this class is only
 * used where nothing better was given.
 */
public final class SimplePreprocessing {
    /** OpenAI CLIP's normalization (CLIPImageProcessor's image_mean / image_std). */
    public static final float[] CLIP_MEAN = {0.48145466f, 0.4578275f, 0.40821073f};
    public static final float[] CLIP_STD = {0.26862954f, 0.26130258f, 0.27577711f};

    private SimplePreprocessing() {
    }

    /** Decodes a PNG, JPEG, GIF or BMP file (what javax.imageio reads) into RGB. */
    public static RgbImage read(Path file) {
        BufferedImage image;
        try {
            if (!Files.isRegularFile(file)) {
                throw new InvalidInputException(file.toString(), "no such image file");
            }
            image = ImageIO.read(file.toFile());
        } catch (IOException e) {
            throw new InvalidInputException(file.toString(), "cannot decode the image: " + e.getMessage(), e);
        }
        if (image == null) {
            throw new InvalidInputException(file.toString(), "is not an image javax.imageio can read (PNG, JPEG, GIF, BMP)");
        }
        return RgbImage.of(image);
    }

    /** Squashes to {@code size}×{@code size} (bilinear; aspect ratio not kept). */
    public static RgbImage resize(RgbImage picture, int size) {
        if (picture.width() == size && picture.height() == size) {
            return picture;
        }
        BufferedImage out = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
        g.drawImage(picture.toBufferedImage(), 0, 0, size, size, null);
        g.dispose();
        return RgbImage.of(out);
    }

    /** RGB → float32 [3 × H × W], (v/255 − mean) / std per channel. */
    public static float[] normalize(RgbImage picture) {
        int w = picture.width();
        int h = picture.height();
        float[] out = new float[3 * w * h];
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    out[(c * h + y) * w + x] = (picture.sample(x, y, c) / 255f - CLIP_MEAN[c]) / CLIP_STD[c];
                }
            }
        }
        return out;
    }

    /** The inverse of {@link #normalize}, clamped to 0..255: what a [3 × size × size] input shows. */
    public static RgbImage denormalize(float[] pixelValues, int size) {
        byte[] rgb = new byte[size * size * 3];
        for (int c = 0; c < 3; c++) {
            for (int p = 0; p < size * size; p++) {
                float v = (pixelValues[c * size * size + p] * CLIP_STD[c] + CLIP_MEAN[c]) * 255f;
                rgb[p * 3 + c] = (byte) Math.max(0, Math.min(255, Math.round(v)));
            }
        }
        return new RgbImage(size, size, rgb);
    }
}
