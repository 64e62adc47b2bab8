package dev.mod4j.runtime.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * e^x in float32 from additions, multiplications and fused multiply-adds only, as a vector and as a scalar with the
 * same arithmetic, so that every lane gives the same bits as the scalar and the same bits before and after JIT
 * compilation. ({@code lanewise(EXP)} does not: compiled, it calls an SVML routine; interpreted, it falls back to
 * {@code Math.exp}; the two differ in the last bit, and a softmax or SiLU would then depend on the JIT's timing.)
 *
 * <p>Method (Cephes {@code expf}): x = n·ln2 + r with n = round(x·log2 e) and |r| ≤ ln2/2 (ln2 split in a high part
 * exact in float and a low part), e^r by a degree-7 polynomial, 2^n by building the exponent bits. Relative error
 * about 2 ulp. Inputs are clamped to [−87.3, 88.37] (normal float results); every caller's argument is in range or
 * saturates harmlessly (softmax arguments are ≤ 0, SiLU's e^−g only matters where it is small).
 */
final class Exp {
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HIGH = 0.693359375f;
    private static final float LN2_LOW = -2.12194440e-4f;
    /** 1.5·2²³: adding it rounds a float of magnitude below 2²² to an integer (round half to even). */
    private static final float ROUNDER = 12582912f;
    private static final float MIN_ARGUMENT = -87.3f;
    private static final float MAX_ARGUMENT = 88.37f;
    private static final float P0 = 1.9875691500e-4f;
    private static final float P1 = 1.3981999507e-3f;
    private static final float P2 = 8.3334519073e-3f;
    private static final float P3 = 4.1665795894e-2f;
    private static final float P4 = 1.6666665459e-1f;
    private static final float P5 = 5.0000001201e-1f;

    private static final int ROUNDER_BITS = Float.floatToRawIntBits(ROUNDER);
    private static final IntVector EXPONENT_BIAS =
            IntVector.broadcast(WeightVectors.INTS, 127 - ROUNDER_BITS);

    private static final FloatVector V_MINUS_LN2_HIGH = FloatVector.broadcast(WeightVectors.F, -LN2_HIGH);
    private static final FloatVector V_MINUS_LN2_LOW = FloatVector.broadcast(WeightVectors.F, -LN2_LOW);
    private static final FloatVector V_P2 = FloatVector.broadcast(WeightVectors.F, P2);
    private static final FloatVector V_P3 = FloatVector.broadcast(WeightVectors.F, P3);
    private static final FloatVector V_P4 = FloatVector.broadcast(WeightVectors.F, P4);
    private static final FloatVector V_P5 = FloatVector.broadcast(WeightVectors.F, P5);

    private Exp() {
    }

    static float exp(float x) {
        x = Math.min(Math.max(x, MIN_ARGUMENT), MAX_ARGUMENT);
        float shifted = Math.fma(x, LOG2E, ROUNDER);
        float n = shifted - ROUNDER;
        float r = Math.fma(n, -LN2_HIGH, x);
        r = Math.fma(n, -LN2_LOW, r);
        float p = Math.fma(P0, r, P1);
        p = Math.fma(p, r, P2);
        p = Math.fma(p, r, P3);
        p = Math.fma(p, r, P4);
        p = Math.fma(p, r, P5);
        p = Math.fma(p, r * r, r + 1f);
        float twoToN = Float.intBitsToFloat((Float.floatToRawIntBits(shifted) + (127 - ROUNDER_BITS)) << 23);
        return p * twoToN;
    }

    static FloatVector exp(FloatVector x) {
        x = x.max(MIN_ARGUMENT).min(MAX_ARGUMENT);
        FloatVector shifted = x.fma(LOG2E, ROUNDER);
        FloatVector n = shifted.sub(ROUNDER);
        FloatVector r = n.fma(V_MINUS_LN2_HIGH, x);
        r = n.fma(V_MINUS_LN2_LOW, r);
        FloatVector p = r.fma(P0, P1);
        p = p.fma(r, V_P2);
        p = p.fma(r, V_P3);
        p = p.fma(r, V_P4);
        p = p.fma(r, V_P5);
        p = p.fma(r.mul(r), r.add(1f));
        FloatVector twoToN = shifted.reinterpretAsInts().add(EXPONENT_BIAS)
                .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(twoToN);
    }
}
