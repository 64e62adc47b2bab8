package dev.mod4j.runtime.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A 16×16 float transpose in registers (one 512-bit vector a row). Scattering single elements to a transposed
 * layout costs a cache line per store, about a nanosecond each; sixteen vector loads, 64 two-source lane selects
 * and sixteen vector stores move 256 of them. Exact copies, so using it changes no result.
 */
final class TileTranspose {

    /** Rows and columns of a tile. */
    static final int SIZE = 16;
    /** Whether this CPU's preferred vectors hold a tile row (512-bit); callers fall back to scalar copies if not. */
    static final boolean AVAILABLE = FloatVector.SPECIES_PREFERRED.length() == SIZE;

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED;
    private static final int VL = F.length();
    private static final IntVector INTERLEAVE_LOW = AVAILABLE ? interleaveIndexes(0) : null;
    private static final IntVector INTERLEAVE_HIGH = AVAILABLE ? interleaveIndexes(VL / 2) : null;

    private TileTranspose() {
    }

    /**
     * Copies the 16×16 tile {@code src[srcOffset + r * srcStride + c]} to {@code dst[dstOffset + c * dstStride + r]}.
     * Four rounds of interleaving rows i and i+8 (low halves into row 2i, high halves into row 2i+1) move
     * element (r, c) to (c, r): each round rotates the 4-bit row index left, taking in the column's top bit.
     */
    static void transpose(float[] src, int srcOffset, int srcStride, float[] dst, int dstOffset, int dstStride) {
        IntVector r0 = FloatVector.fromArray(F, src, srcOffset + 0 * srcStride).reinterpretAsInts();
        IntVector r1 = FloatVector.fromArray(F, src, srcOffset + 1 * srcStride).reinterpretAsInts();
        IntVector r2 = FloatVector.fromArray(F, src, srcOffset + 2 * srcStride).reinterpretAsInts();
        IntVector r3 = FloatVector.fromArray(F, src, srcOffset + 3 * srcStride).reinterpretAsInts();
        IntVector r4 = FloatVector.fromArray(F, src, srcOffset + 4 * srcStride).reinterpretAsInts();
        IntVector r5 = FloatVector.fromArray(F, src, srcOffset + 5 * srcStride).reinterpretAsInts();
        IntVector r6 = FloatVector.fromArray(F, src, srcOffset + 6 * srcStride).reinterpretAsInts();
        IntVector r7 = FloatVector.fromArray(F, src, srcOffset + 7 * srcStride).reinterpretAsInts();
        IntVector r8 = FloatVector.fromArray(F, src, srcOffset + 8 * srcStride).reinterpretAsInts();
        IntVector r9 = FloatVector.fromArray(F, src, srcOffset + 9 * srcStride).reinterpretAsInts();
        IntVector r10 = FloatVector.fromArray(F, src, srcOffset + 10 * srcStride).reinterpretAsInts();
        IntVector r11 = FloatVector.fromArray(F, src, srcOffset + 11 * srcStride).reinterpretAsInts();
        IntVector r12 = FloatVector.fromArray(F, src, srcOffset + 12 * srcStride).reinterpretAsInts();
        IntVector r13 = FloatVector.fromArray(F, src, srcOffset + 13 * srcStride).reinterpretAsInts();
        IntVector r14 = FloatVector.fromArray(F, src, srcOffset + 14 * srcStride).reinterpretAsInts();
        IntVector r15 = FloatVector.fromArray(F, src, srcOffset + 15 * srcStride).reinterpretAsInts();
        IntVector t00 = INTERLEAVE_LOW.selectFrom(r0, r8), t01 = INTERLEAVE_HIGH.selectFrom(r0, r8);
        IntVector t02 = INTERLEAVE_LOW.selectFrom(r1, r9), t03 = INTERLEAVE_HIGH.selectFrom(r1, r9);
        IntVector t04 = INTERLEAVE_LOW.selectFrom(r2, r10), t05 = INTERLEAVE_HIGH.selectFrom(r2, r10);
        IntVector t06 = INTERLEAVE_LOW.selectFrom(r3, r11), t07 = INTERLEAVE_HIGH.selectFrom(r3, r11);
        IntVector t08 = INTERLEAVE_LOW.selectFrom(r4, r12), t09 = INTERLEAVE_HIGH.selectFrom(r4, r12);
        IntVector t0a = INTERLEAVE_LOW.selectFrom(r5, r13), t0b = INTERLEAVE_HIGH.selectFrom(r5, r13);
        IntVector t0c = INTERLEAVE_LOW.selectFrom(r6, r14), t0d = INTERLEAVE_HIGH.selectFrom(r6, r14);
        IntVector t0e = INTERLEAVE_LOW.selectFrom(r7, r15), t0f = INTERLEAVE_HIGH.selectFrom(r7, r15);
        IntVector t10 = INTERLEAVE_LOW.selectFrom(t00, t08), t11 = INTERLEAVE_HIGH.selectFrom(t00, t08);
        IntVector t12 = INTERLEAVE_LOW.selectFrom(t01, t09), t13 = INTERLEAVE_HIGH.selectFrom(t01, t09);
        IntVector t14 = INTERLEAVE_LOW.selectFrom(t02, t0a), t15 = INTERLEAVE_HIGH.selectFrom(t02, t0a);
        IntVector t16 = INTERLEAVE_LOW.selectFrom(t03, t0b), t17 = INTERLEAVE_HIGH.selectFrom(t03, t0b);
        IntVector t18 = INTERLEAVE_LOW.selectFrom(t04, t0c), t19 = INTERLEAVE_HIGH.selectFrom(t04, t0c);
        IntVector t1a = INTERLEAVE_LOW.selectFrom(t05, t0d), t1b = INTERLEAVE_HIGH.selectFrom(t05, t0d);
        IntVector t1c = INTERLEAVE_LOW.selectFrom(t06, t0e), t1d = INTERLEAVE_HIGH.selectFrom(t06, t0e);
        IntVector t1e = INTERLEAVE_LOW.selectFrom(t07, t0f), t1f = INTERLEAVE_HIGH.selectFrom(t07, t0f);
        IntVector t20 = INTERLEAVE_LOW.selectFrom(t10, t18), t21 = INTERLEAVE_HIGH.selectFrom(t10, t18);
        IntVector t22 = INTERLEAVE_LOW.selectFrom(t11, t19), t23 = INTERLEAVE_HIGH.selectFrom(t11, t19);
        IntVector t24 = INTERLEAVE_LOW.selectFrom(t12, t1a), t25 = INTERLEAVE_HIGH.selectFrom(t12, t1a);
        IntVector t26 = INTERLEAVE_LOW.selectFrom(t13, t1b), t27 = INTERLEAVE_HIGH.selectFrom(t13, t1b);
        IntVector t28 = INTERLEAVE_LOW.selectFrom(t14, t1c), t29 = INTERLEAVE_HIGH.selectFrom(t14, t1c);
        IntVector t2a = INTERLEAVE_LOW.selectFrom(t15, t1d), t2b = INTERLEAVE_HIGH.selectFrom(t15, t1d);
        IntVector t2c = INTERLEAVE_LOW.selectFrom(t16, t1e), t2d = INTERLEAVE_HIGH.selectFrom(t16, t1e);
        IntVector t2e = INTERLEAVE_LOW.selectFrom(t17, t1f), t2f = INTERLEAVE_HIGH.selectFrom(t17, t1f);
        IntVector u0 = INTERLEAVE_LOW.selectFrom(t20, t28), u1 = INTERLEAVE_HIGH.selectFrom(t20, t28);
        IntVector u2 = INTERLEAVE_LOW.selectFrom(t21, t29), u3 = INTERLEAVE_HIGH.selectFrom(t21, t29);
        IntVector u4 = INTERLEAVE_LOW.selectFrom(t22, t2a), u5 = INTERLEAVE_HIGH.selectFrom(t22, t2a);
        IntVector u6 = INTERLEAVE_LOW.selectFrom(t23, t2b), u7 = INTERLEAVE_HIGH.selectFrom(t23, t2b);
        IntVector u8 = INTERLEAVE_LOW.selectFrom(t24, t2c), u9 = INTERLEAVE_HIGH.selectFrom(t24, t2c);
        IntVector u10 = INTERLEAVE_LOW.selectFrom(t25, t2d), u11 = INTERLEAVE_HIGH.selectFrom(t25, t2d);
        IntVector u12 = INTERLEAVE_LOW.selectFrom(t26, t2e), u13 = INTERLEAVE_HIGH.selectFrom(t26, t2e);
        IntVector u14 = INTERLEAVE_LOW.selectFrom(t27, t2f), u15 = INTERLEAVE_HIGH.selectFrom(t27, t2f);
        u0.reinterpretAsFloats().intoArray(dst, dstOffset + 0 * dstStride);
        u1.reinterpretAsFloats().intoArray(dst, dstOffset + 1 * dstStride);
        u2.reinterpretAsFloats().intoArray(dst, dstOffset + 2 * dstStride);
        u3.reinterpretAsFloats().intoArray(dst, dstOffset + 3 * dstStride);
        u4.reinterpretAsFloats().intoArray(dst, dstOffset + 4 * dstStride);
        u5.reinterpretAsFloats().intoArray(dst, dstOffset + 5 * dstStride);
        u6.reinterpretAsFloats().intoArray(dst, dstOffset + 6 * dstStride);
        u7.reinterpretAsFloats().intoArray(dst, dstOffset + 7 * dstStride);
        u8.reinterpretAsFloats().intoArray(dst, dstOffset + 8 * dstStride);
        u9.reinterpretAsFloats().intoArray(dst, dstOffset + 9 * dstStride);
        u10.reinterpretAsFloats().intoArray(dst, dstOffset + 10 * dstStride);
        u11.reinterpretAsFloats().intoArray(dst, dstOffset + 11 * dstStride);
        u12.reinterpretAsFloats().intoArray(dst, dstOffset + 12 * dstStride);
        u13.reinterpretAsFloats().intoArray(dst, dstOffset + 13 * dstStride);
        u14.reinterpretAsFloats().intoArray(dst, dstOffset + 14 * dstStride);
        u15.reinterpretAsFloats().intoArray(dst, dstOffset + 15 * dstStride);
    }

    /** Lane indices into the concatenation of two vectors a:b: a0 b0 a1 b1 ... (low halves interleaved). */
    private static IntVector interleaveIndexes(int firstLane) {
        int[] indexes = new int[VL];
        for (int i = 0; i < VL / 2; i++) {
            indexes[2 * i] = firstLane + i;
            indexes[2 * i + 1] = firstLane + i + VL;
        }
        return IntVector.fromArray(INTS, indexes, 0);
    }
}
