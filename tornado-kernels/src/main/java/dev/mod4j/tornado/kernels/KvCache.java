package dev.mod4j.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.HalfFloat;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.HalfFloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The device-resident KV cache: one [layers × capacity × kvDim] buffer for keys and one for values. Layer L's entry e
 * starts at {@code ((L * capacity) + e) * kvDim}.
 */
public final class KvCache {
    private KvCache() {
    }

    /**
     * Writes rows [0, rows) of {@code keys}/{@code values} ([rows × kvDim]) to cache entries [base, base + rows) of
     * layer {@code step[LAYER]}: the new rows of a batch, or rows restored from the host cache.
     */
    public static void append(KernelContext context, IntArray step, FloatArray keys, FloatArray values,
                              FloatArray keyCache, FloatArray valueCache, int kvDim, int capacity) {
        int i = context.globalIdx;
        if (i < step.get(Step.ROWS) * kvDim) {
            int r = i / kvDim;
            int c = i - r * kvDim;
            int at = (step.get(Step.LAYER) * capacity + step.get(Step.BASE) + r) * kvDim + c;
            keyCache.set(at, keys.get(i));
            valueCache.set(at, values.get(i));
        }
    }

    /**
     * Reads cache entries [base, base + rows) of layer {@code step[LAYER]} into rows [0, rows) of {@code keys}/{@code
     * values}: the entries a session wrote on the device, saved to its host cache before another session's replace them.
     */
    public static void copyOut(KernelContext context, IntArray step, FloatArray keyCache, FloatArray valueCache,
                               FloatArray keys, FloatArray values, int kvDim, int capacity) {
        int i = context.globalIdx;
        if (i < step.get(Step.ROWS) * kvDim) {
            int r = i / kvDim;
            int c = i - r * kvDim;
            int at = (step.get(Step.LAYER) * capacity + step.get(Step.BASE) + r) * kvDim + c;
            keys.set(i, keyCache.get(at));
            values.set(i, valueCache.get(at));
        }
    }

    /** Does nothing; a task that names buffers so the upload graph allocates and copies them. */
    public static void touch(FloatArray a, FloatArray b, FloatArray c, FloatArray d, FloatArray e, FloatArray f,
                             FloatArray g, FloatArray h) {
        if (a.getSize() < 0) {
            b.set(0, c.get(0) + d.get(0) + e.get(0) + f.get(0) + g.get(0) + h.get(0));
        }
    }

    /** {@link #touch} for half buffers (weights kept in fp16); registered only on a device with fp16. */
    public static void touchHalf(HalfFloatArray a, HalfFloatArray b, HalfFloatArray c, HalfFloatArray d,
                                 HalfFloatArray e, HalfFloatArray f, HalfFloatArray g, HalfFloatArray h) {
        if (a.getSize() < 0) {
            b.set(0, new HalfFloat(c.get(0).getFloat32() + d.get(0).getFloat32() + e.get(0).getFloat32()
                    + f.get(0).getFloat32() + g.get(0).getFloat32() + h.get(0).getFloat32()));
        }
    }
}
