package dev.mod4j.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Convolutions on feature maps held channels-last ([height·width, channels], one row per position, as the matrix
 * kernels take rows), as the CPU backend's {@code ConvolutionKernels}: a convolution whose stride equals its kernel
 * is a matrix product over gathered patches ({@link #gatherPatches} feeds {@link Matmul}); a depthwise convolution is
 * computed directly ({@link #depthwise}). 1×1 convolutions are plain matrix products. One work-item per output element.
 */
public final class Convolutions {
    private Convolutions() {
    }

    /**
     * Depthwise k×k convolution with zero padding k/2 (same size), stride 1, plus bias, over a
     * [height·width, channels] map (step[ROWS] = height·width positions): {@code kernel} is tap-major [k·k, channels]
     * (ConvNeXt's blocks and LLaVA-HR's MR-adapters), layer L's kernel starting at {@code L * kernelStride} and its
     * bias at {@code L * channels}. Taps are summed in the CPU backend's order (bias first, then row by row).
     */
    public static void depthwise(KernelContext context, IntArray step, FloatArray in, FloatArray kernel,
                                 int kernelStride, FloatArray bias, FloatArray out, int height, int width,
                                 int channels, int k) {
        int e = context.globalIdx;
        if (e < step.get(Step.ROWS) * channels) {
            int layer = step.get(Step.LAYER);
            int position = e / channels;
            int c = e - position * channels;
            int y = position / width;
            int x = position - y * width;
            int pad = k / 2;
            int w0 = layer * kernelStride;
            float sum = bias.get(layer * channels + c);
            for (int ky = 0; ky < k; ky++) {
                int sy = y + ky - pad;
                if (sy >= 0 && sy < height) {
                    for (int kx = 0; kx < k; kx++) {
                        int sx = x + kx - pad;
                        if (sx >= 0 && sx < width) {
                            sum += kernel.get(w0 + (ky * k + kx) * channels + c) * in.get((sy * width + sx) * channels
                                    + c);
                        }
                    }
                }
            }
            out.set(e, sum);
        }
    }

    /**
     * Non-overlapping k×k patches of a channels-last map [height·mapWidth, channels] as rows
     * [(height/k)·(mapWidth/k), channels·k·k] in PyTorch's kernel order (channel, row, column): the im2col of a
     * stride-k k×k convolution (ConvNeXt's downsampling), step[ROWS] output positions.
     */
    public static void gatherPatches(KernelContext context, IntArray step, FloatArray map, FloatArray out,
                                     int channels, int mapWidth, int k) {
        int e = context.globalIdx;
        int length = channels * k * k;
        if (e < step.get(Step.ROWS) * length) {
            int position = e / length;
            int i = e - position * length;
            int c = i / (k * k);
            int tap = i - c * k * k;
            int ky = tap / k;
            int kx = tap - ky * k;
            int columns = mapWidth / k;
            int py = position / columns;
            int px = position - py * columns;
            out.set(e, map.get(((py * k + ky) * mapWidth + px * k + kx) * channels + c));
        }
    }

    /**
     * {@code x += out · scale} per channel over step[ROWS] rows of {@code width}: ConvNeXt's layer scale
     * ({@code gamma}) and residual, layer L's scale starting at {@code L * width}.
     */
    public static void scaleAndAdd(KernelContext context, IntArray step, FloatArray out, FloatArray scale,
                                   FloatArray x, int width) {
        int e = context.globalIdx;
        if (e < step.get(Step.ROWS) * width) {
            int c = e - e / width * width;
            x.set(e, x.get(e) + out.get(e) * scale.get(step.get(Step.LAYER) * width + c));
        }
    }
}
