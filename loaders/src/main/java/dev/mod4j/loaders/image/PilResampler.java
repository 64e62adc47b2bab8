package dev.mod4j.loaders.image;

import java.util.stream.IntStream;

/**
 * {@code Image.resize(size, filter)} of PIL 9.4 on an 8-bit RGB image, reproduced to the bit.
 *
 * <p>PIL's algorithm ({@code libImaging/Resample.c}), which this class follows step for step:
 * <ol>
 *   <li>Per axis, for each output index {@code i}: {@code scale = in / out}, {@code filterscale = max(scale, 1)}
 *       (the kernel is widened when downscaling), {@code support = filter.support * filterscale},
 *       {@code center = (i + 0.5) * scale}; taps run from {@code (int)(center - support + 0.5)} (at least 0) to
 *       {@code (int)(center + support + 0.5)} (at most {@code in}); tap {@code j} weighs
 *       {@code filter((j - center + 0.5) / filterscale)}; weights are divided by their sum, all in double.</li>
 *   <li>Weights become fixed point with 22 fractional bits: {@code (int)(w * 2^22 + 0.5)}, or {@code - 0.5} for
 *       negative weights (rounding half away from zero).</li>
 *   <li>Horizontal pass first, on the source rows the vertical pass will read (from the first tap row of the first
 *       output row to the last tap row of the last one), then the vertical pass. Each output sample is
 *       {@code clamp((2^21 + Σ sample * k) >> 22, 0, 255)}: the intermediate image is uint8.</li>
 *   <li>A pass is skipped when that axis keeps its size (then the other pass reads the source directly); when
 *       neither changes, the result is a copy.</li>
 * </ol>
 * The source can be a virtual "pad to square" canvas: the image placed on a larger background at an offset,
 * which spares materialising the padded image.
 */
public final class PilResampler {
    private static final int PRECISION_BITS = 32 - 8 - 2;
    private static final int HALF = 1 << (PRECISION_BITS - 1);
    /** Work below this many multiply-adds runs on the calling thread. */
    private static final long PARALLEL_THRESHOLD = 2_000_000;

    private PilResampler() {
    }

    /** Resizes {@code image} to {@code outWidth x outHeight} as PIL's {@code Image.resize} does. */
    public static DecodedImage resize(DecodedImage image, int outWidth, int outHeight, ResampleFilter filter) {
        return resize(Canvas.of(image), outWidth, outHeight, filter);
    }

    /**
     * Resizes the canvas {@code canvasWidth x canvasHeight} filled with {@code background} (RGB, 0..255) on which
     * {@code image} is placed with its top-left corner at ({@code left}, {@code top}), without building the canvas.
     */
    public static DecodedImage resizePadded(DecodedImage image, int canvasWidth, int canvasHeight, int left, int top,
                                            int[] background, int outWidth, int outHeight, ResampleFilter filter) {
        return resize(new Canvas(image, canvasWidth, canvasHeight, left, top, background), outWidth, outHeight, filter);
    }

    /** Per-output-index taps of one axis: first source index, tap count, fixed-point weights. */
    record Coefficients(int ksize, int[] first, int[] count, int[] weights) {
    }

    /** PIL's precompute_coeffs + normalize_coeffs_8bpc for {@code inSize → outSize} over the whole input. */
    static Coefficients coefficients(int inSize, int outSize, ResampleFilter filter) {
        // PIL passes the box (0, 0, width, height) as C floats: in1 - in0 is computed in float.
        double scale = (double) ((float) inSize - 0f) / outSize;
        double filterscale = scale < 1.0 ? 1.0 : scale;
        double support = filter.support() * filterscale;
        int ksize = (int) Math.ceil(support) * 2 + 1;
        if ((long) outSize * ksize > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("resize to " + outSize + " with " + ksize + " taps is too large");
        }
        int[] first = new int[outSize];
        int[] count = new int[outSize];
        int[] weights = new int[outSize * ksize];
        double[] w = new double[ksize];
        double ss = 1.0 / filterscale;
        for (int xx = 0; xx < outSize; xx++) {
            double center = (xx + 0.5) * scale;
            double ww = 0.0;
            int xmin = (int) (center - support + 0.5);
            if (xmin < 0) {
                xmin = 0;
            }
            int xmax = (int) (center + support + 0.5);
            if (xmax > inSize) {
                xmax = inSize;
            }
            xmax -= xmin;
            for (int x = 0; x < xmax; x++) {
                double v = filter.weight((x + xmin - center + 0.5) * ss);
                w[x] = v;
                ww += v;
            }
            for (int x = 0; x < xmax; x++) {
                if (ww != 0.0) {
                    w[x] /= ww;
                }
                double scaled = w[x] * (1 << PRECISION_BITS);
                weights[xx * ksize + x] = w[x] < 0 ? (int) (-0.5 + scaled) : (int) (0.5 + scaled);
            }
            first[xx] = xmin;
            count[xx] = xmax;
        }
        return new Coefficients(ksize, first, count, weights);
    }

    private static int clip8(int accumulator) {
        int v = accumulator >> PRECISION_BITS;
        return v < 0 ? 0 : Math.min(v, 255);
    }

    static DecodedImage resize(Canvas src, int outWidth, int outHeight, ResampleFilter filter) {
        if (outWidth <= 0 || outHeight <= 0) {
            throw new IllegalArgumentException("output size must be positive, got " + outWidth + "x" + outHeight);
        }
        if ((long) outWidth * outHeight * 3 > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(outWidth + "x" + outHeight + " is too large for one RGB array");
        }
        boolean needHorizontal = outWidth != src.width;
        boolean needVertical = outHeight != src.height;
        Coefficients horizontal = coefficients(src.width, outWidth, filter);
        Coefficients vertical = coefficients(src.height, outHeight, filter);
        // Source rows the vertical pass reads.
        int firstRow = vertical.first[0];
        int lastRow = vertical.first[outHeight - 1] + vertical.count[outHeight - 1];

        byte[] temp;
        int tempWidth;
        int rowOffset;
        if (needHorizontal) {
            temp = horizontalPass(src, firstRow, lastRow - firstRow, outWidth, horizontal);
            tempWidth = outWidth;
            rowOffset = firstRow;
        } else if (needVertical) {
            temp = src.rows(0, src.height);
            tempWidth = src.width;
            rowOffset = 0;
        } else {
            return new DecodedImage(src.width, src.height, src.rows(0, src.height));
        }
        if (!needVertical) {
            // The horizontal pass covered every row (the identity's taps span the whole height).
            return new DecodedImage(outWidth, src.height, temp);
        }
        return new DecodedImage(tempWidth, outHeight, verticalPass(temp, tempWidth, rowOffset, outHeight, vertical));
    }

    private static byte[] horizontalPass(Canvas src, int firstRow, int rows, int outWidth, Coefficients c) {
        byte[] out = new byte[rows * outWidth * 3];
        long work = (long) rows * outWidth * c.ksize * 3;
        int chunk = 16;
        int chunks = (rows + chunk - 1) / chunk;
        IntStream range = IntStream.range(0, chunks);
        if (work >= PARALLEL_THRESHOLD) {
            range = range.parallel();
        }
        // Canvas rows of background only (pad to square) all resample to the same row: computed once.
        byte[] backgroundRow = null;
        if (src.hasBackgroundRows()) {
            byte[] row = new byte[src.width * 3];
            src.row(-1, row);
            backgroundRow = new byte[outWidth * 3];
            horizontalRow(row, backgroundRow, 0, outWidth, c);
        }
        byte[] background = backgroundRow;
        range.forEach(ci -> {
            byte[] row = new byte[src.width * 3];
            int end = Math.min(rows, (ci + 1) * chunk);
            for (int r = ci * chunk; r < end; r++) {
                int o = r * outWidth * 3;
                if (background != null && src.isBackgroundRow(firstRow + r)) {
                    System.arraycopy(background, 0, out, o, background.length);
                    continue;
                }
                src.row(firstRow + r, row);
                horizontalRow(row, out, o, outWidth, c);
            }
        });
        return out;
    }

    private static void horizontalRow(byte[] row, byte[] out, int o, int outWidth, Coefficients c) {
        for (int xx = 0; xx < outWidth; xx++) {
            int xmin = c.first[xx];
            int n = c.count[xx];
            int kb = xx * c.ksize;
            int s0 = HALF;
            int s1 = HALF;
            int s2 = HALF;
            int p = xmin * 3;
            for (int x = 0; x < n; x++, p += 3) {
                int k = c.weights[kb + x];
                s0 += (row[p] & 0xFF) * k;
                s1 += (row[p + 1] & 0xFF) * k;
                s2 += (row[p + 2] & 0xFF) * k;
            }
            out[o++] = (byte) clip8(s0);
            out[o++] = (byte) clip8(s1);
            out[o++] = (byte) clip8(s2);
        }
    }

    private static byte[] verticalPass(byte[] temp, int width, int rowOffset, int outHeight, Coefficients c) {
        int rowBytes = width * 3;
        byte[] out = new byte[outHeight * rowBytes];
        long work = (long) outHeight * rowBytes * c.ksize;
        IntStream range = IntStream.range(0, outHeight);
        if (work >= PARALLEL_THRESHOLD) {
            range = range.parallel();
        }
        range.forEach(yy -> {
            int[] acc = new int[rowBytes];
            java.util.Arrays.fill(acc, HALF);
            int ymin = c.first[yy] - rowOffset;
            int n = c.count[yy];
            int kb = yy * c.ksize;
            for (int y = 0; y < n; y++) {
                int k = c.weights[kb + y];
                int base = (ymin + y) * rowBytes;
                for (int i = 0; i < rowBytes; i++) {
                    acc[i] += (temp[base + i] & 0xFF) * k;
                }
            }
            int o = yy * rowBytes;
            for (int i = 0; i < rowBytes; i++) {
                out[o + i] = (byte) clip8(acc[i]);
            }
        });
        return out;
    }

    /** An image on a background canvas (LLaVA's pad to square), read row by row. */
    static final class Canvas {
        final DecodedImage image;
        final int width;
        final int height;
        final int left;
        final int top;
        final byte[] background;

        Canvas(DecodedImage image, int width, int height, int left, int top, int[] background) {
            if (width <= 0 || height <= 0 || left < 0 || top < 0 || left + image.width() > width
                    || top + image.height() > height) {
                throw new IllegalArgumentException("image " + image.width() + "x" + image.height() + " at (" + left
                        + ", " + top + ") does not fit a " + width + "x" + height + " canvas");
            }
            if ((long) width * 3 > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("canvas width " + width + " is too large");
            }
            this.image = image;
            this.width = width;
            this.height = height;
            this.left = left;
            this.top = top;
            this.background = new byte[3];
            for (int c = 0; c < 3; c++) {
                this.background[c] = (byte) Math.clamp(background[c], 0, 255);
            }
        }

        static Canvas of(DecodedImage image) {
            return new Canvas(image, image.width(), image.height(), 0, 0, new int[3]);
        }

        boolean hasBackgroundRows() {
            return height > image.height();
        }

        boolean isBackgroundRow(int y) {
            return y < top || y >= top + image.height();
        }

        /** Canvas row {@code y} into {@code out} ({@code width * 3} bytes); rows outside the image are background. */
        void row(int y, byte[] out) {
            int iy = y - top;
            int iw = image.width();
            if (iy < 0 || iy >= image.height()) {
                fill(out, 0, width);
                return;
            }
            fill(out, 0, left);
            System.arraycopy(image.rgb(), iy * iw * 3, out, left * 3, iw * 3);
            fill(out, left + iw, width);
        }

        private void fill(byte[] out, int from, int to) {
            for (int x = from; x < to; x++) {
                out[x * 3] = background[0];
                out[x * 3 + 1] = background[1];
                out[x * 3 + 2] = background[2];
            }
        }

        /** Rows {@code [from, to)} of the canvas as one RGB array. */
        byte[] rows(int from, int to) {
            if ((long) (to - from) * width * 3 > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException(width + "x" + (to - from) + " is too large for one RGB array");
            }
            if (from == 0 && to == height && width == image.width() && height == image.height()) {
                return image.rgb().clone();
            }
            byte[] out = new byte[(to - from) * width * 3];
            byte[] row = new byte[width * 3];
            for (int y = from; y < to; y++) {
                row(y, row);
                System.arraycopy(row, 0, out, (y - from) * width * 3, width * 3);
            }
            return out;
        }
    }
}
