package dev.mod4j.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/** Element-wise activations over the rows of a batch. */
public final class Activations {
    private Activations() {
    }

    /** SwiGLU's gate, {@code gate[i] = silu(gate[i]) * up[i]} with silu(x) = x·sigmoid(x), over rows × width. */
    public static void siluMultiply(KernelContext context, IntArray step, FloatArray gate, FloatArray up, int width) {
        int i = context.globalIdx;
        if (i < step.get(Step.ROWS) * width) {
            float g = gate.get(i);
            gate.set(i, g / (1f + TornadoMath.exp(-g)) * up.get(i));
        }
    }
}
