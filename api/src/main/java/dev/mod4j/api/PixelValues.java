package dev.mod4j.api;

/**
 * CLIP's pixel normalization, both ways: {@link #denormalize} turns the tower's input back into a picture (what the
 * report draws the patch grid over), {@link #normalize} makes pixel values from an RGB picture that is already at
 * the tower's size (tests use it to write {@code .npy} inputs). Model input from image files goes through the model's
 * own preprocessing ({@code MultimodalModel.preprocess}), not through this class.
 */
public final class PixelValues {
    /** OpenAI CLIP's normalization (CLIPImageProcessor's image_mean / image_std), which LLaVA-1.5 uses. */
    public static final float[] CLIP_MEAN = {0.48145466f, 0.4578275f, 0.40821073f};
    public static final float[] CLIP_STD = {0.26862954f, 0.26130258f, 0.27577711f};

    private PixelValues() {
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
