package dev.mod4j.runtime.cpu;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

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

    /**
     * The kernels' folding in registers gives {@link LaneSums#sum}'s bits, also once the JIT has compiled both (enough
     * calls for C2) and for sums whose rounding depends on the order.
     */
    @Test
    void foldingInRegistersGivesTheSameBits() {
        if (!LaneSums.IN_REGISTERS) {
            return; // kernels use sum() on vectors of more than 16 lanes
        }
        SplittableRandom random = new SplittableRandom(3);
        float[] values = new float[WeightVectors.VL];
        float[] lanes = new float[WeightVectors.VL];
        for (int round = 0; round < 50_000; round++) {
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) (random.nextGaussian() * Math.scalb(1.0, random.nextInt(-20, 20)));
            }
            FloatVector v = FloatVector.fromArray(WeightVectors.F, values, 0);
            System.arraycopy(values, 0, lanes, 0, lanes.length);
            float expected = LaneSums.sum(lanes, 0);
            assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(foldInRegisters(v)),
                    "round " + round);
        }
    }

    /** As the kernels write it out. */
    private static float foldInRegisters(FloatVector v) {
        if (WeightVectors.VL >= 16) {
            v = v.add(v.rearrange(LaneSums.FOLD_8));
        }
        if (WeightVectors.VL >= 8) {
            v = v.add(v.rearrange(LaneSums.FOLD_4));
        }
        v = v.add(v.rearrange(LaneSums.FOLD_2));
        v = v.add(v.rearrange(LaneSums.FOLD_1));
        return v.lane(0);
    }
}
