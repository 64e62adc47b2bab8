package dev.mod4j.runtime.cpu;

/**
 * Sums of a vector's lanes (stored to an array) in one fixed order.
 *
 * <p>{@code FloatVector.reduceLanes(ADD)} may add lanes in any order, and does: the interpreter adds them one by
 * one while the JIT-compiled intrinsic adds pairwise, so the same call can round differently before and after
 * compilation. Kernels whose results must be reproducible store their accumulators and sum them here instead,
 * folding halves onto each other (lane i plus lane i + n/2, then again on the first half, ...). Plain float
 * additions give the same result in every execution tier, and the method is small enough to inline everywhere,
 * unlike a vector version built from shuffles.
 */
final class LaneSums {

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
}
