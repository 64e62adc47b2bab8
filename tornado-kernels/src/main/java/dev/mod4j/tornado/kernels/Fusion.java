package dev.mod4j.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The gate of LLaVA-HR's MR-adapter ({@code S2FStitchAlignModuleV2}): one scalar per image from the mean over
 * positions of both branches' rows, then a tanh-gated add of the slow rows into the fast ones.
 */
public final class Fusion {
    private Fusion() {
    }

    /**
     * {@code out[offset + c] = mean over rows of x[·, c]} over step[ROWS] rows of {@code width}: one half of the
     * concatenation {@code torch.cat([fast, slow], 1).mean((2, 3))} (fast at offset 0, slow at offset width). One
     * work-item per column, summing its rows in order (in float; the CPU sums in double: a relative difference of
     * about rows · 2⁻²⁴).
     */
    public static void columnMeans(KernelContext context, IntArray step, FloatArray x, FloatArray out, int offset,
                                   int width) {
        int c = context.globalIdx;
        if (c < width) {
            int rows = step.get(Step.ROWS);
            float sum = 0f;
            for (int r = 0; r < rows; r++) {
                sum += x.get(r * width + c);
            }
            out.set(offset + c, sum / rows);
        }
    }

    /** {@code x += tanh(gate[0]) · slow} over step[ROWS] rows of {@code width}. */
    public static void addTanhGated(KernelContext context, IntArray step, FloatArray slow, FloatArray gate,
                                    FloatArray x, int width) {
        int e = context.globalIdx;
        if (e < step.get(Step.ROWS) * width) {
            x.set(e, x.get(e) + TornadoMath.tanh(gate.get(0)) * slow.get(e));
        }
    }
}
