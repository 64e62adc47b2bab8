package dev.mod4j.runtime.cpu;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class TileTransposeTest {

    @Test
    void copiesEachElementToItsTransposedPlaceAndNothingElse() {
        assumeTrue(TileTranspose.AVAILABLE, "the register transpose needs 512-bit vectors; this CPU's are narrower");
        int size = TileTranspose.SIZE;
        int srcStride = 37, dstStride = 53, srcOffset = 5, dstOffset = 11;
        SplittableRandom random = new SplittableRandom(3);
        float[] src = new float[srcOffset + (size - 1) * srcStride + size + 7];
        for (int i = 0; i < src.length; i++) {
            src[i] = (float) random.nextDouble(-1, 1);
        }
        float[] dst = new float[dstOffset + (size - 1) * dstStride + size + 7];
        java.util.Arrays.fill(dst, Float.NaN);

        TileTranspose.transpose(src, srcOffset, srcStride, dst, dstOffset, dstStride);

        boolean[] written = new boolean[dst.length];
        for (int r = 0; r < size; r++) {
            for (int c = 0; c < size; c++) {
                int at = dstOffset + c * dstStride + r;
                assertEquals(src[srcOffset + r * srcStride + c], dst[at], "element (" + r + ", " + c + ")");
                written[at] = true;
            }
        }
        for (int i = 0; i < dst.length; i++) {
            if (!written[i]) {
                assertEquals(Float.NaN, dst[i], "index " + i + " is outside the tile and must be untouched");
            }
        }
    }
}
