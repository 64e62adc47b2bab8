package dev.mod4j.loaders.image;

/**
 * LLaVA-1.5's image preprocessing: optional pad to square ({@code image_aspect_ratio: pad}), then transformers'
 * {@code CLIPImageProcessor} (resize, center crop, rescale, normalize), giving the tower's float32
 * {@code pixel_values} of one image, channels first.
 *
 * <p>The steps and the Python they match:
 * <ol>
 *   <li>Pad: LLaVA's {@code expand2square(img, tuple(int(x * 255) for x in image_mean))}: a wide image
 *       ({@code w > h}) goes on a {@code w x w} canvas at {@code (0, (w - h) // 2)}, a tall one on an
 *       {@code h x h} canvas at {@code ((h - w) // 2, 0)}; a square image is left alone.</li>
 *   <li>Resize ({@code do_resize}): to {@link PreprocessorConfig.Size#outputSize}, with PIL's uint8 resampling
 *       ({@link PilResampler}).</li>
 *   <li>Center crop ({@code do_center_crop}): transformers' {@code center_crop}: top = {@code (h - crop_h) // 2},
 *       left = {@code (w - crop_w) // 2} (floor); where the crop is larger than the image, the image is placed at
 *       {@code ceil((crop - size) / 2)} on zeros.</li>
 *   <li>Rescale ({@code do_rescale}): {@code float32(uint8 * rescale_factor)}, the product in double.</li>
 *   <li>Normalize ({@code do_normalize}): {@code (x - float32(mean)) / float32(std)} in float32.</li>
 * </ol>
 * The output is {@code [3, H, W]} floats, R plane then G then B. Everything per pixel is precomputed into a
 * 256-entry table per channel; the resize is the only real work.
 */
public final class ImagePreprocessor {
    private final PreprocessorConfig config;
    /** Output value of each uint8 input, per channel: exactly transformers' float32 results. */
    private final float[][] lookup = new float[3][256];

    public ImagePreprocessor(PreprocessorConfig config) {
        this.config = config;
        double[] mean = config.imageMean();
        double[] std = config.imageStd();
        for (int c = 0; c < 3; c++) {
            float m = (float) mean[c];
            float s = (float) std[c];
            for (int v = 0; v < 256; v++) {
                float x = config.doRescale() ? (float) (v * config.rescaleFactor()) : (float) v;
                if (config.doNormalize()) {
                    x = (x - m) / s;
                }
                lookup[c][v] = x;
            }
        }
    }

    public PreprocessorConfig config() {
        return config;
    }

    /** The float value the pipeline gives uint8 {@code value} in channel {@code channel}. */
    public float normalized(int channel, int value) {
        return lookup[channel][value];
    }

    /** Every intermediate image of one run, for debugging and tests. */
    public record Stages(DecodedImage padded, DecodedImage resized, DecodedImage cropped, float[] pixels,
                         int height, int width) {
        /** {@code [3, height, width]}. */
        public int[] shape() {
            return new int[] {3, height, width};
        }
    }

    /** {@code pixel_values} of one image: floats {@code [3, H, W]}, H and W the crop size (or the resized size). */
    public float[] preprocess(DecodedImage image, boolean padToSquare) {
        return run(image, padToSquare, false).pixels();
    }

    /** Like {@link #preprocess}, keeping the uint8 images between the steps (the padded one materialised). */
    public Stages stages(DecodedImage image, boolean padToSquare) {
        return run(image, padToSquare, true);
    }

    private Stages run(DecodedImage image, boolean padToSquare, boolean keep) {
        int w = image.width();
        int h = image.height();
        boolean pad = padToSquare && w != h;
        int side = Math.max(w, h);
        int left = w < h ? (h - w) / 2 : 0;
        int top = w > h ? (w - h) / 2 : 0;
        int canvasW = pad ? side : w;
        int canvasH = pad ? side : h;
        int[] background = config.padBackground();
        if (pad && (long) side * side > MAX_RESIZED_PIXELS) {
            throw new ImageFormatException("image (" + w + "x" + h + ")", "padding to a " + side + "x" + side
                    + " square would make " + (long) side * side + " pixels, over the limit of " + MAX_RESIZED_PIXELS
                    + "; the aspect ratio is too extreme");
        }

        DecodedImage padded = null;
        if (pad && (keep || !config.doResize())) {
            padded = expandToSquare(image, background);
        }
        DecodedImage resized;
        if (config.doResize()) {
            int[] out = resizedSize(canvasH, canvasW, w, h);
            resized = pad
                    ? PilResampler.resizePadded(image, canvasW, canvasH, left, top, background, out[1], out[0],
                    config.resample())
                    : PilResampler.resize(image, out[1], out[0], config.resample());
        } else {
            resized = pad ? padded : image;
        }
        DecodedImage cropped = config.doCenterCrop() ? centerCrop(resized, config.cropHeight(), config.cropWidth())
                : resized;
        float[] pixels = toChannelsFirst(cropped);
        return new Stages(keep ? padded : null, keep ? resized : null, keep ? cropped : null, pixels,
                cropped.height(), cropped.width());
    }

    /**
     * The resize target, refused with an {@link ImageFormatException} (not an IllegalArgumentException, and before
     * anything is allocated) when an extreme aspect ratio would make the resized image huge: a 20000x1 strip resized
     * to a shortest edge of 224 would be 224x4480000.
     */
    private int[] resizedSize(int canvasH, int canvasW, int w, int h) {
        String where = "image (" + w + "x" + h + ")";
        int[] out;
        try {
            out = config.size().outputSize(canvasH, canvasW);
        } catch (IllegalArgumentException e) {
            throw new ImageFormatException(where, e.getMessage() + "; the aspect ratio is too extreme to preprocess"
                    + " without padding to a square", e);
        }
        long pixels = (long) out[0] * out[1];
        if (pixels > MAX_RESIZED_PIXELS) {
            throw new ImageFormatException(where, "resizing to " + out[1] + "x" + out[0] + " would make " + pixels
                    + " pixels, over the limit of " + MAX_RESIZED_PIXELS + "; the aspect ratio is too extreme to"
                    + " preprocess without padding to a square");
        }
        return out;
    }

    /** Most pixels a resized or padded image may have (PIL's decompression-bomb limit, as for decoding). */
    public static final long MAX_RESIZED_PIXELS = ImageDecoder.DEFAULT_MAX_PIXELS;

    /**
     * LLaVA's {@code expand2square}: the image centred on a square of {@code background} (RGB, 0..255), offsets
     * rounded down; square images are returned as they are.
     */
    public static DecodedImage expandToSquare(DecodedImage image, int[] background) {
        int w = image.width();
        int h = image.height();
        if (w == h) {
            return image;
        }
        int side = Math.max(w, h);
        var canvas = new PilResampler.Canvas(image, side, side, w < h ? (h - w) / 2 : 0, w > h ? (w - h) / 2 : 0,
                background);
        return new DecodedImage(side, side, canvas.rows(0, side));
    }

    /**
     * transformers' {@code center_crop} on uint8 pixels: offsets {@code (size - crop) // 2} (floor division);
     * a crop larger than the image along an axis places the image at {@code ceil((crop - size) / 2)} on zeros.
     */
    public static DecodedImage centerCrop(DecodedImage image, int cropHeight, int cropWidth) {
        int w = image.width();
        int h = image.height();
        if (cropHeight == h && cropWidth == w) {
            return image;
        }
        // Source coordinate of output (0, 0); negative when the image is smaller than the crop (zero padding).
        int top = cropHeight <= h ? Math.floorDiv(h - cropHeight, 2) : -ceilHalf(cropHeight - h);
        int left = cropWidth <= w ? Math.floorDiv(w - cropWidth, 2) : -ceilHalf(cropWidth - w);
        byte[] out = new byte[Math.multiplyExact(Math.multiplyExact(cropHeight, cropWidth), 3)];
        int x0 = Math.max(0, -left);
        int x1 = Math.min(cropWidth, w - left);
        for (int y = 0; y < cropHeight; y++) {
            int sy = y + top;
            if (sy < 0 || sy >= h || x1 <= x0) {
                continue;
            }
            System.arraycopy(image.rgb(), (sy * w + x0 + left) * 3, out, (y * cropWidth + x0) * 3, (x1 - x0) * 3);
        }
        return new DecodedImage(cropWidth, cropHeight, out);
    }

    private static int ceilHalf(int n) {
        return (n + 1) / 2;
    }

    private float[] toChannelsFirst(DecodedImage image) {
        int plane = image.width() * image.height();
        float[] out = new float[3 * plane];
        byte[] rgb = image.rgb();
        float[] r = lookup[0];
        float[] g = lookup[1];
        float[] b = lookup[2];
        for (int i = 0, p = 0; i < plane; i++, p += 3) {
            out[i] = r[rgb[p] & 0xFF];
            out[plane + i] = g[rgb[p + 1] & 0xFF];
            out[2 * plane + i] = b[rgb[p + 2] & 0xFF];
        }
        return out;
    }
}
