package dev.mod4j.runtime.cpu;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExpTest {
    private static final int VL = FloatVector.SPECIES_PREFERRED.length();

    @Test
    void withinFourUlpOfMathExpOverTheFloatRange() {
        SplittableRandom random = new SplittableRandom(3);
        for (int i = 0; i < 200_000; i++) {
            float x = (float) (random.nextDouble() * 175.6 - 87.3);
            double exact = Math.exp(x);
            float got = Exp.exp(x);
            assertTrue(Math.abs(got - exact) <= 4 * Math.ulp((float) exact), x + ": " + got + " vs " + exact);
        }
        assertEquals(1f, Exp.exp(0f));
        assertTrue(Exp.exp(-1000f) > 0 && Exp.exp(-1000f) < 2e-38f, "saturates to the smallest normal range");
        assertTrue(Float.isFinite(Exp.exp(1000f)), "saturates below overflow");
        assertTrue(Float.isNaN(Exp.exp(Float.NaN)));
    }

    @Test
    void everyLaneEqualsTheScalarBitForBit() {
        SplittableRandom random = new SplittableRandom(4);
        float[] x = new float[VL];
        float[] y = new float[VL];
        for (int round = 0; round < 20_000; round++) {
            for (int i = 0; i < VL; i++) {
                x[i] = (float) (random.nextDouble() * 200 - 100);
            }
            Exp.exp(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, x, 0)).intoArray(y, 0);
            for (int i = 0; i < VL; i++) {
                assertEquals(Float.floatToRawIntBits(Exp.exp(x[i])), Float.floatToRawIntBits(y[i]), "x = " + x[i]);
            }
        }
    }
}
