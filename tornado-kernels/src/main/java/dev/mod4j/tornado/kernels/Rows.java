package dev.mod4j.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Moving rows of the device-resident residual stream: gathering the rows a layer processes into a compact batch,
 * scattering them back, scaling skipped rows, compacting the survivors of a drop. One work-item per element of the
 * rows moved ({@code step[ROWS] × width}); {@code rowIndex[i]} names the stream row of batch row i.
 * (Method names avoid OpenCL C built-ins, after which TornadoVM would name the kernels.)
 */
public final class Rows {
    private Rows() {
    }

    /** {@code to[i] = from[rowIndex[i]]} for batch rows i &lt; step[ROWS]. */
    public static void gatherRows(KernelContext context, IntArray step, IntArray rowIndex, FloatArray from,
                                  FloatArray to, int width) {
        int e = context.globalIdx;
        if (e < step.get(Step.ROWS) * width) {
            int i = e / width;
            int c = e - i * width;
            to.set(e, from.get(rowIndex.get(i) * width + c));
        }
    }

    /** {@code to[rowIndex[i]] = from[i]} for batch rows i &lt; step[ROWS]. */
    public static void scatterRows(KernelContext context, IntArray step, IntArray rowIndex, FloatArray from,
                                   FloatArray to, int width) {
        int e = context.globalIdx;
        if (e < step.get(Step.ROWS) * width) {
            int i = e / width;
            int c = e - i * width;
            to.set(rowIndex.get(i) * width + c, from.get(e));
        }
    }

    /** {@code rows[rowIndex[i]] *= factors[i]} for i &lt; step[ROWS] (p-MoD's STRing on skipped rows). */
    public static void scaleRows(KernelContext context, IntArray step, IntArray rowIndex, FloatArray factors,
                                 FloatArray rows, int width) {
        int e = context.globalIdx;
        if (e < step.get(Step.ROWS) * width) {
            int i = e / width;
            int c = e - i * width;
            int at = rowIndex.get(i) * width + c;
            rows.set(at, rows.get(at) * factors.get(i));
        }
    }

    /** {@code to[i] = from[i]} for the first step[ROWS] rows. */
    public static void copyRows(KernelContext context, IntArray step, FloatArray from, FloatArray to, int width) {
        int e = context.globalIdx;
        if (e < step.get(Step.ROWS) * width) {
            to.set(e, from.get(e));
        }
    }

    /** {@code to = from[step[ARG]]}: one row of width {@code width} (the row whose logits or query are wanted). */
    public static void pickRow(KernelContext context, IntArray step, FloatArray from, FloatArray to, int width) {
        int c = context.globalIdx;
        if (c < width) {
            to.set(c, from.get(step.get(Step.ARG) * width + c));
        }
    }
}
