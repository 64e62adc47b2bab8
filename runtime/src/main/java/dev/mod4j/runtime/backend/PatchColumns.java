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
        int p = config.patchSize();
        int grid = config.patchesPerSide();
        int size = config.imageSize();
        int channels = config.numChannels();
        int patchLength = channels * p * p;
        float[] columns = new float[grid * grid * patchLength];
        for (int py = 0; py < grid; py++) {
            for (int px = 0; px < grid; px++) {
                int base = (py * grid + px) * patchLength;
                for (int c = 0; c < channels; c++) {
                    for (int ky = 0; ky < p; ky++) {
                        System.arraycopy(pixels, (c * size + py * p + ky) * size + px * p, columns,
                                base + (c * p + ky) * p, p);
                    }
                }
            }
        }
        return columns;
    }
}
