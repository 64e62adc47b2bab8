package dev.mod4j.runtime.cpu;

import jdk.incubator.vector.VectorShuffle;

/**
 * Sums of a vector's lanes (stored to an array) in one fixed order.
 *
 * <p>{@code FloatVector.reduceLanes(ADD)} may add lanes in any order, and does: the interpreter adds them one by
 * one while the JIT-compiled intrinsic adds pairwise, so the same call can round differently before and after
 * compilation. Kernels whose results must be reproducible store their accumulators and sum them here instead,
 * folding halves onto each other (lane i plus lane i + n/2, then again on the first half, ...). Plain float
 * additions give the same result in every execution tier, and the method is small enough to inline everywhere,
 * unlike a vector version built from shuffles in a method of its own (a vector passed to a call that is not inlined
 * is boxed). Kernels instead write the same folding out in registers with {@link #FOLD_8} … {@link #FOLD_1}: the
 * same float additions in the same order, so the same sums, without the stores, reloads and call (5% of a Q8_0
 * decode's samples went to this method).
 */
final class LaneSums {
    /** Whether kernels fold in registers: vectors of at most 16 lanes (the shuffles below cover those). */
    static final boolean IN_REGISTERS = WeightVectors.VL <= 16;
    /**
     * Lane i takes lane i + h (mod VL): {@code v.add(v.rearrange(FOLD_h))} is the step of {@link #sum} with
     * {@code half == h} for lanes below h (the upper lanes are left over and not read).
     */
    static final VectorShuffle<Float> FOLD_8 = fold(8);
    static final VectorShuffle<Float> FOLD_4 = fold(4);
    static final VectorShuffle<Float> FOLD_2 = fold(2);
    static final VectorShuffle<Float> FOLD_1 = fold(1);

    private LaneSums() {
    }

    /** The sum of {@code lanes[offset .. offset + VL)} in the folding order; overwrites those elements. */
    static float sum(float[] lanes, int offset) {
        for (int half = WeightVectors.VL / 2; half > 0; half /= 2) {
            for (int i = offset; i < offset + half; i++) {
                lanes[i] += lanes[i + half];
            }
        }
        return lanes[offset];
    }

    private static VectorShuffle<Float> fold(int half) {
        return VectorShuffle.fromOp(WeightVectors.F, i -> (i + half) % WeightVectors.VL);
    }
}
