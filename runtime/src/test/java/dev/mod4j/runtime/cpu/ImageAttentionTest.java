package dev.mod4j.runtime.cpu;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * The vision tower's attention as two panel products per head gives {@link AttentionKernel#attendAll}'s outputs bit
 * for bit (which {@link AttentionKernelTest} checks against the definition), image by image, on ragged shapes.
 */
class ImageAttentionTest {
    private static final int PANEL = PackedPanelGemm.PANEL_WIDTH;

    @ParameterizedTest(name = "images={0} rows={1} heads={2} headDim={3}")
    @CsvSource({
            "1, 1, 1, 16, 1",       // one row: a partial micro-tile, one key
            "1, 5, 2, 24, 1",       // headDim with no 16x16 tiles and a partial value panel
            "2, 17, 3, 0, 1",       // headDim = one panel (CLIP-L's 64 on AVX-512), two images
            "3, 70, 2, 0, 2",       // keys over two key panels, headDim = two value panels
            "2, 50, 2, 40, 1",      // headDim = 2.5 vectors on AVX-512
            "1, 577, 2, 0, 1",      // CLIP-L/336's tokens per crop
    })
    void outputsAreAttendAllsForEachImage(int images, int rows, int heads, int headDimOrZero, int panels) {
        int headDim = headDimOrZero == 0 ? panels * PANEL : headDimOrZero;
        int dim = heads * headDim;
        SplittableRandom random = new SplittableRandom(rows * 7L + headDim);
        float[] q = random(images * rows * dim, random);
        float[] k = random(images * rows * dim, random);
        float[] v = random(images * rows * dim, random);
        float[] out = new float[images * rows * dim];
        float[] oneThread = new float[images * rows * dim];
        try (Parallel one = new Parallel(1); Parallel three = new Parallel(3)) {
            ImageAttention attention = new ImageAttention(images, rows, heads, headDim);
            attention.attend(out, q, k, v, three);
            attention.attend(out, q, k, v, three); // reused for a second layer: the same packed arrays
            new ImageAttention(images, rows, heads, headDim).attend(oneThread, q, k, v, one);
            for (int image = 0; image < images; image++) {
                int from = image * rows * dim;
                int to = from + rows * dim;
                float[] expected = new float[rows * dim];
                AttentionKernel.attendAll(expected, Arrays.copyOfRange(q, from, to), Arrays.copyOfRange(k, from, to),
                        Arrays.copyOfRange(v, from, to), rows, heads, headDim, one);
                assertArrayEquals(expected, Arrays.copyOfRange(out, from, to), "image " + image);
            }
        }
        assertArrayEquals(out, oneThread, "bit for bit whatever the thread count");
    }

    private static float[] random(int n, SplittableRandom random) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (random.nextDouble() * 4 - 2);
        }
        return a;
    }
}
