package dev.mod4j.runtime.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Sums of a float vector's lanes in one fixed order.
 *
 * <p>{@code reduceLanes(ADD)} may add lanes in any order, and does: the interpreter adds them one by one while
 * the JIT-compiled intrinsic adds pairwise, so the same call can round differently before and after
 * compilation. Kernels whose results must be reproducible use this instead: halves are folded onto each other
 * (lane i plus lane i + n/2, then again on the first half, ...), a sequence of exact lane-wise operations that
 * every execution tier performs identically.
 */
public final class LaneSums {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int VL = F.length();
    // One static final shuffle per fold, so that the JIT sees each as a constant permutation.
    private static final VectorShuffle<Float> FOLD_32 = fold(32);
    private static final VectorShuffle<Float> FOLD_16 = fold(16);
    private static final VectorShuffle<Float> FOLD_8 = fold(8);
    private static final VectorShuffle<Float> FOLD_4 = fold(4);
    private static final VectorShuffle<Float> FOLD_2 = fold(2);
    private static final VectorShuffle<Float> FOLD_1 = fold(1);

    private LaneSums() {
    }

    /** The sum of the lanes of {@code v} ({@link FloatVector#SPECIES_PREFERRED}), in the fixed folding order. */
    public static float sum(FloatVector v) {
        if (VL > 64) {
            throw new UnsupportedOperationException("vectors of more than 64 floats");
        }
        if (VL == 64) {
            v = v.add(v.rearrange(FOLD_32));
        }
        if (VL >= 32) {
            v = v.add(v.rearrange(FOLD_16));
        }
        if (VL >= 16) {
            v = v.add(v.rearrange(FOLD_8));
        }
        if (VL >= 8) {
            v = v.add(v.rearrange(FOLD_4));
        }
        if (VL >= 4) {
            v = v.add(v.rearrange(FOLD_2));
        }
        if (VL >= 2) {
            v = v.add(v.rearrange(FOLD_1));
        }
        return v.lane(0);
    }

    /** Moves lane j + half to lane j (wrapping around; only the low lanes are used afterwards). */
    private static VectorShuffle<Float> fold(int half) {
        return VectorShuffle.fromOp(F, lane -> (lane + half) % VL);
    }
}
