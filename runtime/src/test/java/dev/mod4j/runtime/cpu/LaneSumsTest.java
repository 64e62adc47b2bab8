package dev.mod4j.runtime.cpu;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class LaneSumsTest {

    @Test
    void foldsHalvesOntoEachOther() {
        int lanes = WeightVectors.VL;
        float[] values = new float[lanes + 2];
        for (int i = 0; i < lanes; i++) {
            values[1 + i] = i + 1;
        }
        assertEquals(lanes * (lanes + 1) / 2f, LaneSums.sum(values, 1));
    }

    @Test
    void addsInTheFoldingOrderNotLeftToRight() {
        // Left to right, the first 1 is lost next to 2^24 and the sum is 1; folding pairs lane i with lane i + VL/2
        // first, so 2^24 cancels -2^24 before the 1s are added.
        int lanes = WeightVectors.VL;  // at least 4 on any vector unit the Vector API targets
        float[] values = new float[lanes];
        values[0] = 0x1p24f;
        values[1] = 1f;
        values[lanes / 2] = -0x1p24f;
        values[lanes / 2 + 1] = 1f;
        assertEquals(2f, LaneSums.sum(values, 0));
    }
}
