package dev.mod4j.loaders.image;

/**
 * PIL's convolution resampling filters, numbered as {@code PIL.Image.Resampling} (and the {@code resample} field of
 * {@code preprocessor_config.json}). NEAREST (0) is a different algorithm in PIL and is not offered.
 *
 * <p>BICUBIC, BILINEAR and BOX are evaluated with the same double arithmetic as PIL's C code and so give the same
 * fixed-point coefficients. HAMMING and LANCZOS call sin and cos, which may differ from the C library's in the last
 * bit; a coefficient can then round to a neighbouring fixed-point value in rare cases.
 */
public enum ResampleFilter {
    LANCZOS(1, 3.0),
    BILINEAR(2, 1.0),
    BICUBIC(3, 2.0),
    BOX(4, 0.5),
    HAMMING(5, 1.0);

    private final int pilCode;
    private final double support;

    ResampleFilter(int pilCode, double support) {
        this.pilCode = pilCode;
        this.support = support;
    }

    /** The number PIL gives this filter ({@code Image.Resampling.BICUBIC == 3}). */
    public int pilCode() {
        return pilCode;
    }

    /** Half-width of the kernel at scale 1, in source pixels. */
    public double support() {
        return support;
    }

    /** The filter with PIL's number {@code code}, or null (0 = NEAREST and unknown numbers). */
    public static ResampleFilter ofPilCode(int code) {
        for (ResampleFilter f : values()) {
            if (f.pilCode == code) {
                return f;
            }
        }
        return null;
    }

    /** The kernel's value at x (source pixels, already divided by the downscale factor). */
    double weight(double x) {
        switch (this) {
            case BICUBIC: {
                // Keys' cubic convolution with a = -0.5, in PIL's evaluation order.
                final double a = -0.5;
                if (x < 0.0) {
                    x = -x;
                }
                if (x < 1.0) {
                    return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
                }
                if (x < 2.0) {
                    return (((x - 5) * x + 8) * x - 4) * a;
                }
                return 0.0;
            }
            case BILINEAR:
                if (x < 0.0) {
                    x = -x;
                }
                return x < 1.0 ? 1.0 - x : 0.0;
            case BOX:
                return x > -0.5 && x <= 0.5 ? 1.0 : 0.0;
            case HAMMING: {
                if (x < 0.0) {
                    x = -x;
                }
                if (x == 0.0) {
                    return 1.0;
                }
                if (x >= 1.0) {
                    return 0.0;
                }
                x = x * Math.PI;
                // PIL: sin(x) / x * (0.54f + 0.46f * cos(x)), with float constants.
                return Math.sin(x) / x * ((double) 0.54f + (double) 0.46f * Math.cos(x));
            }
            case LANCZOS:
                if (-3.0 <= x && x < 3.0) {
                    return sinc(x) * sinc(x / 3);
                }
                return 0.0;
            default:
                throw new AssertionError(this);
        }
    }

    private static double sinc(double x) {
        if (x == 0.0) {
            return 1.0;
        }
        x = x * Math.PI;
        return Math.sin(x) / x;
    }
}
