package dev.mod4j.runtime.cpu;

import dev.mod4j.runtime.backend.PatchColumns;

/**
 * Convolutions on feature maps held channels-last ([height·width, channels], one row per position, as the matrix
 * kernels take rows). A convolution whose stride equals its kernel is a matrix product over gathered patches
 * ({@link PatchColumns#of(float[], int, int, int, int)} for images, {@link #patchesOfMap} for maps: im2col
 * without overlap); a depthwise convolution is computed directly ({@link #depthwise}), tap by tap over contiguous
 * channels.
 */
public final class ConvolutionKernels {
    private ConvolutionKernels() {
    }

    /**
     * Non-overlapping k×k patches of a channels-last map [height·width, channels] as rows [(height/k)·(width/k),
     * channels·k·k] in PyTorch's kernel order (channel, row, column), as {@link PatchColumns#of(float[], int, int,
     * int, int)} takes them from an image.
     */
    public static float[] patchesOfMap(float[] map, int channels, int height, int width, int k) {
        int gh = height / k;
        int gw = width / k;
        int length = channels * k * k;
        float[] rows = new float[Math.multiplyExact(gh * gw, length)];
        for (int py = 0; py < gh; py++) {
            for (int px = 0; px < gw; px++) {
                int base = (py * gw + px) * length;
                for (int ky = 0; ky < k; ky++) {
                    for (int kx = 0; kx < k; kx++) {
                        int from = ((py * k + ky) * width + px * k + kx) * channels;
                        for (int c = 0; c < channels; c++) {
                            rows[base + (c * k + ky) * k + kx] = map[from + c];
                        }
                    }
                }
            }
        }
        return rows;
    }

    /**
     * Depthwise k×k convolution with zero padding k/2 (same size), stride 1, plus bias: {@code out} and {@code in}
     * are channels-last [height·width, channels], {@code kernel} is [k·k, channels] (tap-major). Rows of the output
     * run in parallel.
     */
    public static void depthwise(float[] out, float[] in, int height, int width, int channels, float[] kernel,
                                 float[] bias, int k, Parallel parallel) {
        int pad = k / 2;
        parallel.forEach(height, y -> {
            for (int x = 0; x < width; x++) {
                int o = (y * width + x) * channels;
                System.arraycopy(bias, 0, out, o, channels);
                for (int ky = 0; ky < k; ky++) {
                    int sy = y + ky - pad;
                    if (sy < 0 || sy >= height) {
                        continue;
                    }
                    for (int kx = 0; kx < k; kx++) {
                        int sx = x + kx - pad;
                        if (sx < 0 || sx >= width) {
                            continue;
                        }
                        int i = (sy * width + sx) * channels;
                        int w = (ky * k + kx) * channels;
                        for (int c = 0; c < channels; c++) {
                            out[o + c] += kernel[w + c] * in[i + c];
                        }
                    }
                }
            }
        });
    }
}
