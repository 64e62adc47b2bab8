package dev.mod4j.loaders.image;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The geometric rules on small hand-made images, the resampler's pass structure, and speed. */
class ImagePreprocessorTest {
    private static DecodedImage random(int w, int h, long seed) {
        byte[] rgb = new byte[w * h * 3];
        new Random(seed).nextBytes(rgb);
        return new DecodedImage(w, h, rgb);
    }

    /** Pixel (x, y) of a w x h image whose samples encode their coordinates. */
    private static DecodedImage coordinates(int w, int h) {
        byte[] rgb = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                rgb[(y * w + x) * 3] = (byte) (x + 1);
                rgb[(y * w + x) * 3 + 1] = (byte) (y + 1);
                rgb[(y * w + x) * 3 + 2] = (byte) 200;
            }
        }
        return new DecodedImage(w, h, rgb);
    }

    @Test
    void expandToSquarePlacesTheImageAsLlava() {
        int[] bg = {122, 116, 104};
        // Wide 5x2: 5x5 canvas, pasted at (0, (5 - 2) // 2) = (0, 1).
        DecodedImage wide = ImagePreprocessor.expandToSquare(coordinates(5, 2), bg);
        assertEquals(5, wide.width());
        assertEquals(5, wide.height());
        for (int x = 0; x < 5; x++) {
            assertEquals(122, wide.sample(x, 0, 0));
            assertEquals(x + 1, wide.sample(x, 1, 0));
            assertEquals(2, wide.sample(x, 2, 1));
            assertEquals(104, wide.sample(x, 3, 2));
            assertEquals(116, wide.sample(x, 4, 1));
        }
        // Tall 2x6: 6x6 canvas, pasted at ((6 - 2) // 2, 0) = (2, 0).
        DecodedImage tall = ImagePreprocessor.expandToSquare(coordinates(2, 6), bg);
        for (int y = 0; y < 6; y++) {
            assertEquals(122, tall.sample(1, y, 0));
            assertEquals(1, tall.sample(2, y, 0));
            assertEquals(y + 1, tall.sample(3, y, 1));
            assertEquals(122, tall.sample(4, y, 0));
        }
        // Odd difference rounds down: 3x6 at (1, 0).
        DecodedImage odd = ImagePreprocessor.expandToSquare(coordinates(3, 6), bg);
        assertEquals(122, odd.sample(0, 0, 0));
        assertEquals(1, odd.sample(1, 0, 0));
        assertEquals(3, odd.sample(3, 0, 0));
        assertEquals(122, odd.sample(4, 0, 0));
        DecodedImage square = coordinates(4, 4);
        assertSame(square, ImagePreprocessor.expandToSquare(square, bg));
    }

    @Test
    void centerCropOffsetsFloorAndPaddingCeils() {
        DecodedImage img = coordinates(7, 6);
        // (7 - 4) // 2 = 1, (6 - 3) // 2 = 1.
        DecodedImage c = ImagePreprocessor.centerCrop(img, 3, 4);
        assertEquals(2, c.sample(0, 0, 0));
        assertEquals(2, c.sample(0, 0, 1));
        // Crop wider than the image: width 10 over 7, image at ceil(3 / 2) = 2; height 6 -> 4 at offset 1.
        DecodedImage p = ImagePreprocessor.centerCrop(img, 4, 10);
        assertEquals(10, p.width());
        assertEquals(4, p.height());
        for (int y = 0; y < 4; y++) {
            assertEquals(0, p.sample(0, y, 0));
            assertEquals(0, p.sample(1, y, 2));
            assertEquals(1, p.sample(2, y, 0));
            assertEquals(y + 2, p.sample(2, y, 1));
            assertEquals(7, p.sample(8, y, 0));
            assertEquals(0, p.sample(9, y, 2));
        }
        // Both larger, even difference: 7x6 in 9x8 at (1, 1).
        DecodedImage both = ImagePreprocessor.centerCrop(img, 8, 9);
        assertEquals(0, both.sample(0, 0, 2));
        assertEquals(1, both.sample(1, 1, 0));
        assertEquals(1, both.sample(1, 1, 1));
        assertEquals(0, both.sample(8, 7, 2));
        assertSame(img, ImagePreprocessor.centerCrop(img, 6, 7));
    }

    @Test
    void virtualPaddingEqualsResizingTheMaterialisedSquare() {
        PreprocessorConfig cfg = PreprocessorConfig.clipDefaults(48);
        ImagePreprocessor p = new ImagePreprocessor(cfg);
        for (int[] size : new int[][] {{91, 37}, {37, 91}, {64, 63}, {13, 40}}) {
            DecodedImage img = random(size[0], size[1], size[0] * 31L + size[1]);
            DecodedImage square = ImagePreprocessor.expandToSquare(img, cfg.padBackground());
            ImagePreprocessor.Stages viaVirtual = p.stages(img, true);
            DecodedImage direct = PilResampler.resize(square, 48, 48, ResampleFilter.BICUBIC);
            assertTrue(direct.samePixels(viaVirtual.resized()), size[0] + "x" + size[1]);
            assertTrue(square.samePixels(viaVirtual.padded()));
            assertArrayEquals(p.preprocess(square, false), p.preprocess(img, true));
        }
        ImagePreprocessor.Stages unpadded = p.stages(random(30, 20, 1), false);
        assertNull(unpadded.padded());
    }

    @Test
    void passesAreSkippedWhenAnAxisKeepsItsSize() {
        DecodedImage img = random(17, 11, 7);
        assertTrue(img.samePixels(PilResampler.resize(img, 17, 11, ResampleFilter.BICUBIC)));
        // Only the height changes: the vertical pass alone; each column resampled independently.
        DecodedImage tall = PilResampler.resize(img, 17, 23, ResampleFilter.BICUBIC);
        for (int x = 0; x < 17; x++) {
            byte[] column = new byte[11 * 3];
            for (int y = 0; y < 11; y++) {
                System.arraycopy(img.rgb(), (y * 17 + x) * 3, column, y * 3, 3);
            }
            DecodedImage one = PilResampler.resize(new DecodedImage(1, 11, column), 1, 23, ResampleFilter.BICUBIC);
            for (int y = 0; y < 23; y++) {
                for (int c = 0; c < 3; c++) {
                    assertEquals(one.sample(0, y, c), tall.sample(x, y, c));
                }
            }
        }
    }

    @Test
    void coefficientsAreNormalisedFixedPoint() {
        for (int[] io : new int[][] {{50, 336}, {4000, 336}, {336, 336}, {7, 3}}) {
            PilResampler.Coefficients c = PilResampler.coefficients(io[0], io[1], ResampleFilter.BICUBIC);
            for (int i = 0; i < io[1]; i++) {
                long sum = 0;
                for (int k = 0; k < c.count()[i]; k++) {
                    sum += c.weights()[i * c.ksize() + k];
                }
                // Each weight rounds by at most 1/2 unit.
                assertTrue(Math.abs(sum - (1 << 22)) <= c.count()[i], io[0] + "->" + io[1] + " at " + i + ": " + sum);
                assertTrue(c.first()[i] >= 0 && c.first()[i] + c.count()[i] <= io[0]);
            }
        }
    }

    @Test
    void normalisationTableIsFloat32Arithmetic() {
        ImagePreprocessor p = new ImagePreprocessor(PreprocessorConfig.clipDefaults(336));
        // (float32(0 * (1/255)) - float32(0.48145466)) / float32(0.26862954)
        assertEquals((0f - 0.48145466f) / 0.26862954f, p.normalized(0, 0));
        assertEquals(((float) (255 * (1 / 255.0)) - 0.40821073f) / 0.27577711f, p.normalized(2, 255));
    }

    @Test
    void fourThousandByThreeThousandPhotoIsFast() {
        DecodedImage photo = random(4000, 3000, 42);
        ImagePreprocessor p = new ImagePreprocessor(PreprocessorConfig.clipDefaults(336));
        float[] out = null;
        long best = Long.MAX_VALUE;
        for (int run = 0; run < 4; run++) {
            long start = System.nanoTime();
            out = p.preprocess(photo, true);
            best = Math.min(best, System.nanoTime() - start);
        }
        long bestNoPad = Long.MAX_VALUE;
        for (int run = 0; run < 3; run++) {
            long start = System.nanoTime();
            p.preprocess(photo, false);
            bestNoPad = Math.min(bestNoPad, System.nanoTime() - start);
        }
        System.out.printf("image preprocess 4000x3000 -> 3x336x336: %.0f ms padded, %.0f ms unpadded (best of runs, "
                + "%d cores)%n", best / 1e6, bestNoPad / 1e6, Runtime.getRuntime().availableProcessors());
        assertEquals(3 * 336 * 336, out.length);
        // Generous bound for shared CI machines; typically a few hundred milliseconds.
        assertTrue(best < 5_000_000_000L, "took " + best / 1e6 + " ms");
    }

    @Test
    void extremeAspectRatioIsATypedErrorWithoutPadding() {
        // Found by ImageFuzzTests: a 20000x1 strip made outputSize throw IllegalArgumentException, and a 1x4000 one
        // resized to 224x896000 (600 MB). Both are now refused up front; padding to a square still works.
        ImagePreprocessor clip = new ImagePreprocessor(PreprocessorConfig.clipDefaults(224));
        for (int[] wh : new int[][] {{20000, 1}, {1, 5000}, {1, 4000}}) {
            DecodedImage strip = new DecodedImage(wh[0], wh[1], new byte[3 * wh[0] * wh[1]]);
            ImageFormatException e = assertThrows(ImageFormatException.class, () -> clip.preprocess(strip, false));
            assertTrue(e.getMessage().startsWith("image (" + wh[0] + "x" + wh[1] + "): "), e.getMessage());
            assertTrue(e.getMessage().contains("aspect ratio is too extreme"), e.getMessage());
            if (wh[0] * wh[1] <= 5000) {
                assertEquals(3 * 224 * 224, clip.preprocess(strip, true).length);
            }
        }
        // Padding 20000x1 to a square would be 400M pixels: refused before any work.
        DecodedImage strip = new DecodedImage(20000, 1, new byte[3 * 20000]);
        ImageFormatException e = assertThrows(ImageFormatException.class, () -> clip.preprocess(strip, true));
        assertTrue(e.getMessage().contains("padding to a 20000x20000 square"), e.getMessage());
    }
}
