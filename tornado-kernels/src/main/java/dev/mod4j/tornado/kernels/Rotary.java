package dev.mod4j.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/** Rotary position embedding in HuggingFace's rotate-half convention, from precomputed cos/sin tables. */
public final class Rotary {
    private Rotary() {
    }

    /**
     * (Not named {@code rotate}: TornadoVM names the OpenCL kernel after the method, and OpenCL C has a built-in
     * {@code rotate}.)
     * Rotates every head of every row of {@code vectors} ([rows × heads·headDim]) to its row's position: one work-item
     * per (row, head, j &lt; headDim/2) pair {@code (x_j, x_{j+half})}. {@code cos}/{@code sin} are
     * [positions × headDim/2], the tables {@code RotaryEmbedding} computes.
     */
    public static void rotateHalf(KernelContext context, IntArray step, IntArray positions, FloatArray vectors,
                              FloatArray cos, FloatArray sin, int heads, int headDim) {
        int half = headDim / 2;
        int perRow = heads * half;
        int i = context.globalIdx;
        if (i < step.get(Step.ROWS) * perRow) {
            int r = i / perRow;
            int rest = i - r * perRow;
            int h = rest / half;
            int j = rest - h * half;
            int table = positions.get(r) * half + j;
            float c = cos.get(table);
            float s = sin.get(table);
            int at = r * heads * headDim + h * headDim + j;
            float x1 = vectors.get(at);
            float x2 = vectors.get(at + half);
            vectors.set(at, x1 * c - x2 * s);
            vectors.set(at + half, x2 * c + x1 * s);
        }
    }
}
