package dev.mod4j.runtime.vision;

/**
 * PyTorch's {@code F.interpolate} on planes of floats ([planes, height, width]), in the modes LLaVA-HR and Mini-Gemini
 * use: bilinear with {@code align_corners=True} (LLaVA-HR's fast branch input), bilinear with
 * {@code align_corners=False} (Mini-Gemini's views and feature maps) and bicubic with {@code antialias=True} (LLaVA-HR's
 * position-embedding resampling, timm's {@code resample_pos_embed}). Coefficients in double.
 */
public final class Interpolation {
    private Interpolation() {
    }

    /** Bilinear, align_corners=True: output pixel i samples input coordinate {@code i·(in−1)/(out−1)}. */
    public static float[] bilinearAlignCorners(float[] planes, int count, int inH, int inW, int outH, int outW) {
        float[] out = new float[Math.multiplyExact(count, outH * outW)];
        double sy = outH > 1 ? (double) (inH - 1) / (outH - 1) : 0;
        double sx = outW > 1 ? (double) (inW - 1) / (outW - 1) : 0;
        int[] x0 = new int[outW];
        int[] x1 = new int[outW];
        double[] lx = new double[outW];
        for (int x = 0; x < outW; x++) {
            double src = x * sx;
            x0[x] = (int) src;
            x1[x] = Math.min(x0[x] + 1, inW - 1);
            lx[x] = src - x0[x];
        }
        for (int p = 0; p < count; p++) {
            int in = p * inH * inW;
            for (int y = 0; y < outH; y++) {
                double src = y * sy;
                int y0 = (int) src;
                int y1 = Math.min(y0 + 1, inH - 1);
                double ly = src - y0;
                int o = (p * outH + y) * outW;
                for (int x = 0; x < outW; x++) {
                    double top = (1 - lx[x]) * planes[in + y0 * inW + x0[x]] + lx[x] * planes[in + y0 * inW + x1[x]];
                    double bottom = (1 - lx[x]) * planes[in + y1 * inW + x0[x]] + lx[x] * planes[in + y1 * inW + x1[x]];
                    out[o + x] = (float) ((1 - ly) * top + ly * bottom);
                }
            }
        }
        return out;
    }

    /**
     * Bilinear, align_corners=False, no antialias: output pixel i samples input coordinate
     * {@code max((i + 0.5)·in/out − 0.5, 0)} (PyTorch's {@code area_pixel_compute_source_index}; with an integral
     * {@code scale_factor} of 1/n, in/out is n, the same).
     */
    public static float[] bilinear(float[] planes, int count, int inH, int inW, int outH, int outW) {
        float[] out = new float[Math.multiplyExact(count, outH * outW)];
        BilinearTaps ys = BilinearTaps.of(inH, outH);
        BilinearTaps xs = BilinearTaps.of(inW, outW);
        for (int p = 0; p < count; p++) {
            int in = p * inH * inW;
            for (int y = 0; y < outH; y++) {
                int r0 = in + ys.first[y] * inW;
                int r1 = in + ys.second[y] * inW;
                double ly = ys.weight[y];
                int o = (p * outH + y) * outW;
                for (int x = 0; x < outW; x++) {
                    double lx = xs.weight[x];
                    double top = (1 - lx) * planes[r0 + xs.first[x]] + lx * planes[r0 + xs.second[x]];
                    double bottom = (1 - lx) * planes[r1 + xs.first[x]] + lx * planes[r1 + xs.second[x]];
                    out[o + x] = (float) ((1 - ly) * top + ly * bottom);
                }
            }
        }
        return out;
    }

    /**
     * The two input indices and the second one's weight for each output index of a bilinear (align_corners=False)
     * resize from {@code in} to {@code out} samples.
     */
    public record BilinearTaps(int[] first, int[] second, double[] weight) {
        public static BilinearTaps of(int in, int out) {
            int[] first = new int[out];
            int[] second = new int[out];
            double[] weight = new double[out];
            double scale = (double) in / out;
            for (int i = 0; i < out; i++) {
                double src = Math.max((i + 0.5) * scale - 0.5, 0);
                first[i] = Math.min((int) src, in - 1);
                second[i] = Math.min(first[i] + 1, in - 1);
                weight[i] = src - first[i];
            }
            return new BilinearTaps(first, second, weight);
        }
    }

    /**
     * Bicubic with antialias=True (PyTorch's {@code _upsample_bicubic2d_aa}, PIL's filter): separable, cubic with
     * a = −0.5, support widened by the scale when shrinking, weights normalised over the taps inside the input.
     */
    public static float[] bicubicAntialiased(float[] planes, int count, int inH, int inW, int outH, int outW) {
        Taps rows = Taps.of(inH, outH);
        Taps cols = Taps.of(inW, outW);
        float[] out = new float[Math.multiplyExact(count, outH * outW)];
        double[] horizontal = new double[inH * outW];
        for (int p = 0; p < count; p++) {
            int in = p * inH * inW;
            for (int y = 0; y < inH; y++) {
                for (int x = 0; x < outW; x++) {
                    double sum = 0;
                    for (int j = 0; j < cols.size[x]; j++) {
                        sum += cols.weights[x][j] * planes[in + y * inW + cols.first[x] + j];
                    }
                    horizontal[y * outW + x] = sum;
                }
            }
            for (int y = 0; y < outH; y++) {
                for (int x = 0; x < outW; x++) {
                    double sum = 0;
                    for (int j = 0; j < rows.size[y]; j++) {
                        sum += rows.weights[y][j] * horizontal[(rows.first[y] + j) * outW + x];
                    }
                    out[(p * outH + y) * outW + x] = (float) sum;
                }
            }
        }
        return out;
    }

    /** Per output index: first input index, tap count and normalised weights (UpSampleKernel.cpp's aa indices). */
    private record Taps(int[] first, int[] size, double[][] weights) {
        static Taps of(int in, int out) {
            double scale = (double) in / out;
            double support = scale >= 1 ? 2 * scale : 2;
            double invScale = scale >= 1 ? 1 / scale : 1;
            int[] first = new int[out];
            int[] size = new int[out];
            double[][] weights = new double[out][];
            for (int i = 0; i < out; i++) {
                double center = scale * (i + 0.5);
                int min = Math.max((int) (center - support + 0.5), 0);
                int n = Math.min((int) (center + support + 0.5), in) - min;
                double[] w = new double[n];
                double total = 0;
                for (int j = 0; j < n; j++) {
                    w[j] = cubic((j + min - center + 0.5) * invScale);
                    total += w[j];
                }
                for (int j = 0; j < n; j++) {
                    w[j] = total != 0 ? w[j] / total : 0;
                }
                first[i] = min;
                size[i] = n;
                weights[i] = w;
            }
            return new Taps(first, size, weights);
        }

        private static double cubic(double x) {
            double a = -0.5;
            x = Math.abs(x);
            if (x < 1) {
                return ((a + 2) * x - (a + 3)) * x * x + 1;
            }
            if (x < 2) {
                return (((x - 5) * x + 8) * x - 4) * a;
            }
            return 0;
        }
    }
}
