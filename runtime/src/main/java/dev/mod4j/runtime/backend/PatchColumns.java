package dev.mod4j.runtime.backend;

import dev.mod4j.loaders.config.ClipVisionConfig;

/**
 * CLIP's patch embedding as a matrix product: the image's patches as rows (im2col), each in the convolution weight's
 * (channel, row, column) order, patches row by row over the grid. Every backend's vision encoder multiplies these by
 * the flattened convolution kernel.
 */
public final class PatchColumns {
    private PatchColumns() {
    }

    /** {@code pixels} ([channels, size, size]) as [patches × channels·patch·patch]. */
    public static float[] of(ClipVisionConfig config, float[] pixels) {
        return of(pixels, config.numChannels(), config.imageSize(), config.imageSize(), config.patchSize());
    }

    /**
     * Non-overlapping k×k patches of an image [channels, height, width] as rows [(height/k)·(width/k),
     * channels·k·k] (also the stem of a convolutional tower: ConvNeXt's k = 4).
     */
    public static float[] of(float[] image, int channels, int height, int width, int k) {
        int gh = height / k;
        int gw = width / k;
        int length = channels * k * k;
        float[] rows = new float[Math.multiplyExact(gh * gw, length)];
        for (int py = 0; py < gh; py++) {
            for (int px = 0; px < gw; px++) {
                int base = (py * gw + px) * length;
                for (int c = 0; c < channels; c++) {
                    for (int ky = 0; ky < k; ky++) {
                        System.arraycopy(image, (c * height + py * k + ky) * width + px * k, rows,
                                base + (c * k + ky) * k, k);
                    }
                }
            }
        }
        return rows;
    }
}
