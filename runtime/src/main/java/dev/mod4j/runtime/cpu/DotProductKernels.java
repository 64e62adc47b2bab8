package dev.mod4j.runtime.cpu;

import dev.mod4j.runtime.tensor.WeightMatrix;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * {@code out = in · Wᵀ} for a few activation rows (decode): every output is a dot product of a weight row with
 * an activation row, vectorised along inFeatures, with the weights read straight from their segment and widened
 * in registers. Weights stream from memory once per call: each group of 4 weight rows is applied to all
 * activation rows (4 at a time) while it is in L1, so the cost is close to reading the weights once.
 *
 * <p>An output's arithmetic is the same in every kernel here (lane-wise FMAs over whole vectors in order, a
 * {@link LaneSums fixed-order lane sum}, then the tail in order), so it depends neither on the thread count nor
 * on which kernel shape computed it.
 *
 * <p>The kernels are generated (one per dtype and shape) rather than sharing a dtype switch, because C2 does not
 * reliably hoist a switch out of the hot loop.
 */
final class DotProductKernels {

    private static final VectorSpecies<Float> F = WeightVectors.F;
    private static final int VL = WeightVectors.VL;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfShort U16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);

    /** Weight rows per kernel call. */
    private static final int OUTPUT_GROUP = 4;
    /** Activation rows per kernel call when there are several. */
    private static final int ROW_GROUP = 4;
    /** Work items per thread, so that a core slowed by other work can leave items to the others. */
    private static final int ITEMS_PER_THREAD = 4;
    /**
     * inFeatures widened at a time for the multi-row kernels: 4 rows × 512 floats (8 KiB) stay in L1. Widening
     * into a scratch keeps the FMA loop small enough for C2 to inline everything in it; with the F16 widening
     * inlined four times it gave up inlining and boxed vectors in the loop.
     */
    private static final int WIDEN_CHUNK = 512;

    /** Per-thread scratch: accumulator lanes for the fixed-order sums, and widened weight rows. */
    private static final ThreadLocal<float[]> LANES =
            ThreadLocal.withInitial(() -> new float[ROW_GROUP * OUTPUT_GROUP * VL]);
    private static final ThreadLocal<float[]> WIDENED =
            ThreadLocal.withInitial(() -> new float[OUTPUT_GROUP * WIDEN_CHUNK]);

    private DotProductKernels() {
    }

    static void multiply(float[] out, int outOffset, float[] in, int inOffset, int rows, WeightMatrix w,
                         boolean accumulate, Parallel parallel) {
        int n = w.outFeatures();
        int targetItems = parallel.threads() * ITEMS_PER_THREAD;
        int block = Math.max(OUTPUT_GROUP, roundUp(ceilDiv(n, targetItems), OUTPUT_GROUP));
        int items = ceilDiv(n, block);
        parallel.forEach(items, item -> {
            int from = item * block;
            multiplyOutputs(out, outOffset, in, inOffset, rows, w, from, Math.min(n, from + block), accumulate);
        });
    }

    /** out[r][o] (+)= dot(W[o], in[r]) for all rows and o in [from, to). */
    private static void multiplyOutputs(float[] out, int outOffset, float[] in, int inOffset, int rows,
                                        WeightMatrix w, int from, int to, boolean accumulate) {
        MemorySegment data = w.data();
        int n = w.outFeatures();
        int k = w.inFeatures();
        long stride = w.rowByteStride();
        float[] lanes = LANES.get();
        float[] widened = rows > 1 ? WIDENED.get() : null;
        int o = from;
        for (; o + OUTPUT_GROUP <= to; o += OUTPUT_GROUP) {
            long row = o * stride;
            if (rows == 1) {
                int outOff = outOffset + o;
                switch (w.dtype()) {
                    case F32 -> dot1x4F32(out, outOff, in, inOffset, data, row, stride, k, accumulate, lanes);
                    case BF16 -> dot1x4BF16(out, outOff, in, inOffset, data, row, stride, k, accumulate, lanes);
                    case F16 -> dot1x4F16(out, outOff, in, inOffset, data, row, stride, k, accumulate, lanes);
                    default -> throw new AssertionError(w.dtype());
                }
                continue;
            }
            // The 4 weight rows stay in L1 (widened) while all activation rows pass over them.
            for (int r = 0; r < rows; r += ROW_GROUP) {
                int groupRows = Math.min(ROW_GROUP, rows - r);
                int outOff = outOffset + r * n + o;
                int inOff = inOffset + r * k;
                switch (w.dtype()) {
                    case F32 -> dot4x4F32(out, outOff, n, in, inOff, k, groupRows, data, row, stride, k, accumulate,
                            lanes, widened);
                    case BF16 -> dot4x4BF16(out, outOff, n, in, inOff, k, groupRows, data, row, stride, k, accumulate,
                            lanes, widened);
                    case F16 -> dot4x4F16(out, outOff, n, in, inOff, k, groupRows, data, row, stride, k, accumulate,
                            lanes, widened);
                    default -> throw new AssertionError(w.dtype());
                }
            }
        }
        for (; o < to; o++) {
            long row = o * stride;
            for (int r = 0; r < rows; r++) {
                int outOff = outOffset + r * n + o;
                int inOff = inOffset + r * k;
                switch (w.dtype()) {
                    case F32 -> dot1x1F32(out, outOff, in, inOff, data, row, k, accumulate, lanes);
                    case BF16 -> dot1x1BF16(out, outOff, in, inOff, data, row, k, accumulate, lanes);
                    case F16 -> dot1x1F16(out, outOff, in, inOff, data, row, k, accumulate, lanes);
                    default -> throw new AssertionError(w.dtype());
                }
            }
        }
    }

    private static void store(float[] out, int o, boolean accumulate, float t0) {
        out[o] = accumulate ? out[o] + t0 : t0;
    }

    private static void store(float[] out, int o, boolean accumulate, float t0, float t1, float t2, float t3) {
        if (accumulate) {
            out[o] += t0;
            out[o + 1] += t1;
            out[o + 2] += t2;
            out[o + 3] += t3;
        } else {
            out[o] = t0;
            out[o + 1] = t1;
            out[o + 2] = t2;
            out[o + 3] = t3;
        }
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    private static int roundUp(int a, int b) {
        return ceilDiv(a, b) * b;
    }

    // ---------------------------------------------------------------------------------------------------
    // Generated kernels: dot{rows}x{outputs}{dtype}. Keep every output's arithmetic identical across them.

    private static void dot1x1F32(float[] out, int outOff, float[] x, int xOff, MemorySegment w, long row0, int k,
            boolean accumulate, float[] lanes) {
        int x0 = xOff;
        FloatVector s00 = FloatVector.zero(F);
        int c = 0;
        for (int bound = F.loopBound(k); c < bound; c += VL) {
            FloatVector w0 = FloatVector.fromMemorySegment(F, w, row0 + 4L * c, LE);
            FloatVector v0 = FloatVector.fromArray(F, x, x0 + c);
            s00 = w0.fma(v0, s00);
        }
        s00.intoArray(lanes, 0 * VL);
        float t00 = LaneSums.sum(lanes, 0 * VL);
        for (; c < k; c++) {
            float w0 = w.get(F32_LE, row0 + 4L * c);
            float v0 = x[x0 + c];
            t00 += v0 * w0;
        }
        store(out, outOff, accumulate, t00);
    }

    private static void dot1x4F32(float[] out, int outOff, float[] x, int xOff, MemorySegment w, long row0, long stride, int k,
            boolean accumulate, float[] lanes) {
        long row1 = row0 + stride, row2 = row1 + stride, row3 = row2 + stride;
        int x0 = xOff;
        FloatVector s00 = FloatVector.zero(F), s01 = FloatVector.zero(F), s02 = FloatVector.zero(F), s03 = FloatVector.zero(F);
        int c = 0;
        for (int bound = F.loopBound(k); c < bound; c += VL) {
            FloatVector w0 = FloatVector.fromMemorySegment(F, w, row0 + 4L * c, LE);
            FloatVector w1 = FloatVector.fromMemorySegment(F, w, row1 + 4L * c, LE);
            FloatVector w2 = FloatVector.fromMemorySegment(F, w, row2 + 4L * c, LE);
            FloatVector w3 = FloatVector.fromMemorySegment(F, w, row3 + 4L * c, LE);
            FloatVector v0 = FloatVector.fromArray(F, x, x0 + c);
            s00 = w0.fma(v0, s00); s01 = w1.fma(v0, s01); s02 = w2.fma(v0, s02); s03 = w3.fma(v0, s03);
        }
        s00.intoArray(lanes, 0 * VL); s01.intoArray(lanes, 1 * VL); s02.intoArray(lanes, 2 * VL); s03.intoArray(lanes, 3 * VL);
        float t00 = LaneSums.sum(lanes, 0 * VL), t01 = LaneSums.sum(lanes, 1 * VL), t02 = LaneSums.sum(lanes, 2 * VL), t03 = LaneSums.sum(lanes, 3 * VL);
        for (; c < k; c++) {
            float w0 = w.get(F32_LE, row0 + 4L * c);
            float w1 = w.get(F32_LE, row1 + 4L * c);
            float w2 = w.get(F32_LE, row2 + 4L * c);
            float w3 = w.get(F32_LE, row3 + 4L * c);
            float v0 = x[x0 + c];
            t00 += v0 * w0; t01 += v0 * w1; t02 += v0 * w2; t03 += v0 * w3;
        }
        store(out, outOff, accumulate, t00, t01, t02, t03);
    }

    private static void dot4x4F32(float[] out, int outOff, int ldo, float[] x, int xOff, int ldx, int rows,
            MemorySegment w, long row0, long stride, int k, boolean accumulate, float[] lanes, float[] widened) {
        long row1 = row0 + stride, row2 = row1 + stride, row3 = row2 + stride;
        int x0 = xOff;
        int x1 = xOff + Math.min(1, rows - 1) * ldx;
        int x2 = xOff + Math.min(2, rows - 1) * ldx;
        int x3 = xOff + Math.min(3, rows - 1) * ldx;
        FloatVector s00 = FloatVector.zero(F), s01 = FloatVector.zero(F), s02 = FloatVector.zero(F), s03 = FloatVector.zero(F);
        FloatVector s10 = FloatVector.zero(F), s11 = FloatVector.zero(F), s12 = FloatVector.zero(F), s13 = FloatVector.zero(F);
        FloatVector s20 = FloatVector.zero(F), s21 = FloatVector.zero(F), s22 = FloatVector.zero(F), s23 = FloatVector.zero(F);
        FloatVector s30 = FloatVector.zero(F), s31 = FloatVector.zero(F), s32 = FloatVector.zero(F), s33 = FloatVector.zero(F);
        int bound = F.loopBound(k);
        for (int c0 = 0; c0 < bound; c0 += WIDEN_CHUNK) {
            int chunk = Math.min(WIDEN_CHUNK, bound - c0);
            WeightVectors.widenF32(w, row0 + 4L * c0, widened, 0 * WIDEN_CHUNK, chunk);
            WeightVectors.widenF32(w, row1 + 4L * c0, widened, 1 * WIDEN_CHUNK, chunk);
            WeightVectors.widenF32(w, row2 + 4L * c0, widened, 2 * WIDEN_CHUNK, chunk);
            WeightVectors.widenF32(w, row3 + 4L * c0, widened, 3 * WIDEN_CHUNK, chunk);
            for (int c = 0; c < chunk; c += VL) {
                FloatVector w0 = FloatVector.fromArray(F, widened, 0 * WIDEN_CHUNK + c);
                FloatVector w1 = FloatVector.fromArray(F, widened, 1 * WIDEN_CHUNK + c);
                FloatVector w2 = FloatVector.fromArray(F, widened, 2 * WIDEN_CHUNK + c);
                FloatVector w3 = FloatVector.fromArray(F, widened, 3 * WIDEN_CHUNK + c);
                FloatVector v0 = FloatVector.fromArray(F, x, x0 + c0 + c);
                s00 = w0.fma(v0, s00); s01 = w1.fma(v0, s01); s02 = w2.fma(v0, s02); s03 = w3.fma(v0, s03);
                FloatVector v1 = FloatVector.fromArray(F, x, x1 + c0 + c);
                s10 = w0.fma(v1, s10); s11 = w1.fma(v1, s11); s12 = w2.fma(v1, s12); s13 = w3.fma(v1, s13);
                FloatVector v2 = FloatVector.fromArray(F, x, x2 + c0 + c);
                s20 = w0.fma(v2, s20); s21 = w1.fma(v2, s21); s22 = w2.fma(v2, s22); s23 = w3.fma(v2, s23);
                FloatVector v3 = FloatVector.fromArray(F, x, x3 + c0 + c);
                s30 = w0.fma(v3, s30); s31 = w1.fma(v3, s31); s32 = w2.fma(v3, s32); s33 = w3.fma(v3, s33);
            }
        }
        int c = bound;
        s00.intoArray(lanes, 0 * VL); s01.intoArray(lanes, 1 * VL); s02.intoArray(lanes, 2 * VL); s03.intoArray(lanes, 3 * VL);
        s10.intoArray(lanes, 4 * VL); s11.intoArray(lanes, 5 * VL); s12.intoArray(lanes, 6 * VL); s13.intoArray(lanes, 7 * VL);
        s20.intoArray(lanes, 8 * VL); s21.intoArray(lanes, 9 * VL); s22.intoArray(lanes, 10 * VL); s23.intoArray(lanes, 11 * VL);
        s30.intoArray(lanes, 12 * VL); s31.intoArray(lanes, 13 * VL); s32.intoArray(lanes, 14 * VL); s33.intoArray(lanes, 15 * VL);
        float t00 = LaneSums.sum(lanes, 0 * VL), t01 = LaneSums.sum(lanes, 1 * VL), t02 = LaneSums.sum(lanes, 2 * VL), t03 = LaneSums.sum(lanes, 3 * VL);
        float t10 = LaneSums.sum(lanes, 4 * VL), t11 = LaneSums.sum(lanes, 5 * VL), t12 = LaneSums.sum(lanes, 6 * VL), t13 = LaneSums.sum(lanes, 7 * VL);
        float t20 = LaneSums.sum(lanes, 8 * VL), t21 = LaneSums.sum(lanes, 9 * VL), t22 = LaneSums.sum(lanes, 10 * VL), t23 = LaneSums.sum(lanes, 11 * VL);
        float t30 = LaneSums.sum(lanes, 12 * VL), t31 = LaneSums.sum(lanes, 13 * VL), t32 = LaneSums.sum(lanes, 14 * VL), t33 = LaneSums.sum(lanes, 15 * VL);
        for (; c < k; c++) {
            float w0 = w.get(F32_LE, row0 + 4L * c);
            float w1 = w.get(F32_LE, row1 + 4L * c);
            float w2 = w.get(F32_LE, row2 + 4L * c);
            float w3 = w.get(F32_LE, row3 + 4L * c);
            float v0 = x[x0 + c];
            t00 += v0 * w0; t01 += v0 * w1; t02 += v0 * w2; t03 += v0 * w3;
            float v1 = x[x1 + c];
            t10 += v1 * w0; t11 += v1 * w1; t12 += v1 * w2; t13 += v1 * w3;
            float v2 = x[x2 + c];
            t20 += v2 * w0; t21 += v2 * w1; t22 += v2 * w2; t23 += v2 * w3;
            float v3 = x[x3 + c];
            t30 += v3 * w0; t31 += v3 * w1; t32 += v3 * w2; t33 += v3 * w3;
        }
        store(out, outOff, accumulate, t00, t01, t02, t03);
        if (rows > 1) {
            store(out, outOff + 1 * ldo, accumulate, t10, t11, t12, t13);
        }
        if (rows > 2) {
            store(out, outOff + 2 * ldo, accumulate, t20, t21, t22, t23);
        }
        if (rows > 3) {
            store(out, outOff + 3 * ldo, accumulate, t30, t31, t32, t33);
        }
    }

    private static void dot1x1BF16(float[] out, int outOff, float[] x, int xOff, MemorySegment w, long row0, int k,
            boolean accumulate, float[] lanes) {
        int x0 = xOff;
        FloatVector s00 = FloatVector.zero(F);
        int c = 0;
        for (int bound = F.loopBound(k); c < bound; c += VL) {
            FloatVector w0 = WeightVectors.bf16(w, row0 + 2L * c);
            FloatVector v0 = FloatVector.fromArray(F, x, x0 + c);
            s00 = w0.fma(v0, s00);
        }
        s00.intoArray(lanes, 0 * VL);
        float t00 = LaneSums.sum(lanes, 0 * VL);
        for (; c < k; c++) {
            float w0 = WeightVectors.bf16(w.get(U16_LE, row0 + 2L * c));
            float v0 = x[x0 + c];
            t00 += v0 * w0;
        }
        store(out, outOff, accumulate, t00);
    }

    private static void dot1x4BF16(float[] out, int outOff, float[] x, int xOff, MemorySegment w, long row0, long stride, int k,
            boolean accumulate, float[] lanes) {
        long row1 = row0 + stride, row2 = row1 + stride, row3 = row2 + stride;
        int x0 = xOff;
        FloatVector s00 = FloatVector.zero(F), s01 = FloatVector.zero(F), s02 = FloatVector.zero(F), s03 = FloatVector.zero(F);
        int c = 0;
        for (int bound = F.loopBound(k); c < bound; c += VL) {
            FloatVector w0 = WeightVectors.bf16(w, row0 + 2L * c);
            FloatVector w1 = WeightVectors.bf16(w, row1 + 2L * c);
            FloatVector w2 = WeightVectors.bf16(w, row2 + 2L * c);
            FloatVector w3 = WeightVectors.bf16(w, row3 + 2L * c);
            FloatVector v0 = FloatVector.fromArray(F, x, x0 + c);
            s00 = w0.fma(v0, s00); s01 = w1.fma(v0, s01); s02 = w2.fma(v0, s02); s03 = w3.fma(v0, s03);
        }
        s00.intoArray(lanes, 0 * VL); s01.intoArray(lanes, 1 * VL); s02.intoArray(lanes, 2 * VL); s03.intoArray(lanes, 3 * VL);
        float t00 = LaneSums.sum(lanes, 0 * VL), t01 = LaneSums.sum(lanes, 1 * VL), t02 = LaneSums.sum(lanes, 2 * VL), t03 = LaneSums.sum(lanes, 3 * VL);
        for (; c < k; c++) {
            float w0 = WeightVectors.bf16(w.get(U16_LE, row0 + 2L * c));
            float w1 = WeightVectors.bf16(w.get(U16_LE, row1 + 2L * c));
            float w2 = WeightVectors.bf16(w.get(U16_LE, row2 + 2L * c));
            float w3 = WeightVectors.bf16(w.get(U16_LE, row3 + 2L * c));
            float v0 = x[x0 + c];
            t00 += v0 * w0; t01 += v0 * w1; t02 += v0 * w2; t03 += v0 * w3;
        }
        store(out, outOff, accumulate, t00, t01, t02, t03);
    }

    private static void dot4x4BF16(float[] out, int outOff, int ldo, float[] x, int xOff, int ldx, int rows,
            MemorySegment w, long row0, long stride, int k, boolean accumulate, float[] lanes, float[] widened) {
        long row1 = row0 + stride, row2 = row1 + stride, row3 = row2 + stride;
        int x0 = xOff;
        int x1 = xOff + Math.min(1, rows - 1) * ldx;
        int x2 = xOff + Math.min(2, rows - 1) * ldx;
        int x3 = xOff + Math.min(3, rows - 1) * ldx;
        FloatVector s00 = FloatVector.zero(F), s01 = FloatVector.zero(F), s02 = FloatVector.zero(F), s03 = FloatVector.zero(F);
        FloatVector s10 = FloatVector.zero(F), s11 = FloatVector.zero(F), s12 = FloatVector.zero(F), s13 = FloatVector.zero(F);
        FloatVector s20 = FloatVector.zero(F), s21 = FloatVector.zero(F), s22 = FloatVector.zero(F), s23 = FloatVector.zero(F);
        FloatVector s30 = FloatVector.zero(F), s31 = FloatVector.zero(F), s32 = FloatVector.zero(F), s33 = FloatVector.zero(F);
        int bound = F.loopBound(k);
        for (int c0 = 0; c0 < bound; c0 += WIDEN_CHUNK) {
            int chunk = Math.min(WIDEN_CHUNK, bound - c0);
            WeightVectors.widenBF16(w, row0 + 2L * c0, widened, 0 * WIDEN_CHUNK, chunk);
            WeightVectors.widenBF16(w, row1 + 2L * c0, widened, 1 * WIDEN_CHUNK, chunk);
            WeightVectors.widenBF16(w, row2 + 2L * c0, widened, 2 * WIDEN_CHUNK, chunk);
            WeightVectors.widenBF16(w, row3 + 2L * c0, widened, 3 * WIDEN_CHUNK, chunk);
            for (int c = 0; c < chunk; c += VL) {
                FloatVector w0 = FloatVector.fromArray(F, widened, 0 * WIDEN_CHUNK + c);
                FloatVector w1 = FloatVector.fromArray(F, widened, 1 * WIDEN_CHUNK + c);
                FloatVector w2 = FloatVector.fromArray(F, widened, 2 * WIDEN_CHUNK + c);
                FloatVector w3 = FloatVector.fromArray(F, widened, 3 * WIDEN_CHUNK + c);
                FloatVector v0 = FloatVector.fromArray(F, x, x0 + c0 + c);
                s00 = w0.fma(v0, s00); s01 = w1.fma(v0, s01); s02 = w2.fma(v0, s02); s03 = w3.fma(v0, s03);
                FloatVector v1 = FloatVector.fromArray(F, x, x1 + c0 + c);
                s10 = w0.fma(v1, s10); s11 = w1.fma(v1, s11); s12 = w2.fma(v1, s12); s13 = w3.fma(v1, s13);
                FloatVector v2 = FloatVector.fromArray(F, x, x2 + c0 + c);
                s20 = w0.fma(v2, s20); s21 = w1.fma(v2, s21); s22 = w2.fma(v2, s22); s23 = w3.fma(v2, s23);
                FloatVector v3 = FloatVector.fromArray(F, x, x3 + c0 + c);
                s30 = w0.fma(v3, s30); s31 = w1.fma(v3, s31); s32 = w2.fma(v3, s32); s33 = w3.fma(v3, s33);
            }
        }
        int c = bound;
        s00.intoArray(lanes, 0 * VL); s01.intoArray(lanes, 1 * VL); s02.intoArray(lanes, 2 * VL); s03.intoArray(lanes, 3 * VL);
        s10.intoArray(lanes, 4 * VL); s11.intoArray(lanes, 5 * VL); s12.intoArray(lanes, 6 * VL); s13.intoArray(lanes, 7 * VL);
        s20.intoArray(lanes, 8 * VL); s21.intoArray(lanes, 9 * VL); s22.intoArray(lanes, 10 * VL); s23.intoArray(lanes, 11 * VL);
        s30.intoArray(lanes, 12 * VL); s31.intoArray(lanes, 13 * VL); s32.intoArray(lanes, 14 * VL); s33.intoArray(lanes, 15 * VL);
        float t00 = LaneSums.sum(lanes, 0 * VL), t01 = LaneSums.sum(lanes, 1 * VL), t02 = LaneSums.sum(lanes, 2 * VL), t03 = LaneSums.sum(lanes, 3 * VL);
        float t10 = LaneSums.sum(lanes, 4 * VL), t11 = LaneSums.sum(lanes, 5 * VL), t12 = LaneSums.sum(lanes, 6 * VL), t13 = LaneSums.sum(lanes, 7 * VL);
        float t20 = LaneSums.sum(lanes, 8 * VL), t21 = LaneSums.sum(lanes, 9 * VL), t22 = LaneSums.sum(lanes, 10 * VL), t23 = LaneSums.sum(lanes, 11 * VL);
        float t30 = LaneSums.sum(lanes, 12 * VL), t31 = LaneSums.sum(lanes, 13 * VL), t32 = LaneSums.sum(lanes, 14 * VL), t33 = LaneSums.sum(lanes, 15 * VL);
        for (; c < k; c++) {
            float w0 = WeightVectors.bf16(w.get(U16_LE, row0 + 2L * c));
            float w1 = WeightVectors.bf16(w.get(U16_LE, row1 + 2L * c));
            float w2 = WeightVectors.bf16(w.get(U16_LE, row2 + 2L * c));
            float w3 = WeightVectors.bf16(w.get(U16_LE, row3 + 2L * c));
            float v0 = x[x0 + c];
            t00 += v0 * w0; t01 += v0 * w1; t02 += v0 * w2; t03 += v0 * w3;
            float v1 = x[x1 + c];
            t10 += v1 * w0; t11 += v1 * w1; t12 += v1 * w2; t13 += v1 * w3;
            float v2 = x[x2 + c];
            t20 += v2 * w0; t21 += v2 * w1; t22 += v2 * w2; t23 += v2 * w3;
            float v3 = x[x3 + c];
            t30 += v3 * w0; t31 += v3 * w1; t32 += v3 * w2; t33 += v3 * w3;
        }
        store(out, outOff, accumulate, t00, t01, t02, t03);
        if (rows > 1) {
            store(out, outOff + 1 * ldo, accumulate, t10, t11, t12, t13);
        }
        if (rows > 2) {
            store(out, outOff + 2 * ldo, accumulate, t20, t21, t22, t23);
        }
        if (rows > 3) {
            store(out, outOff + 3 * ldo, accumulate, t30, t31, t32, t33);
        }
    }

    private static void dot1x1F16(float[] out, int outOff, float[] x, int xOff, MemorySegment w, long row0, int k,
            boolean accumulate, float[] lanes) {
        int x0 = xOff;
        FloatVector s00 = FloatVector.zero(F);
        int c = 0;
        for (int bound = F.loopBound(k); c < bound; c += VL) {
            FloatVector w0 = WeightVectors.f16(w, row0 + 2L * c);
            FloatVector v0 = FloatVector.fromArray(F, x, x0 + c);
            s00 = w0.fma(v0, s00);
        }
        s00.intoArray(lanes, 0 * VL);
        float t00 = LaneSums.sum(lanes, 0 * VL);
        for (; c < k; c++) {
            float w0 = Float.float16ToFloat(w.get(U16_LE, row0 + 2L * c));
            float v0 = x[x0 + c];
            t00 += v0 * w0;
        }
        store(out, outOff, accumulate, t00);
    }

    private static void dot1x4F16(float[] out, int outOff, float[] x, int xOff, MemorySegment w, long row0, long stride, int k,
            boolean accumulate, float[] lanes) {
        long row1 = row0 + stride, row2 = row1 + stride, row3 = row2 + stride;
        int x0 = xOff;
        FloatVector s00 = FloatVector.zero(F), s01 = FloatVector.zero(F), s02 = FloatVector.zero(F), s03 = FloatVector.zero(F);
        int c = 0;
        for (int bound = F.loopBound(k); c < bound; c += VL) {
            FloatVector w0 = WeightVectors.f16(w, row0 + 2L * c);
            FloatVector w1 = WeightVectors.f16(w, row1 + 2L * c);
            FloatVector w2 = WeightVectors.f16(w, row2 + 2L * c);
            FloatVector w3 = WeightVectors.f16(w, row3 + 2L * c);
            FloatVector v0 = FloatVector.fromArray(F, x, x0 + c);
            s00 = w0.fma(v0, s00); s01 = w1.fma(v0, s01); s02 = w2.fma(v0, s02); s03 = w3.fma(v0, s03);
        }
        s00.intoArray(lanes, 0 * VL); s01.intoArray(lanes, 1 * VL); s02.intoArray(lanes, 2 * VL); s03.intoArray(lanes, 3 * VL);
        float t00 = LaneSums.sum(lanes, 0 * VL), t01 = LaneSums.sum(lanes, 1 * VL), t02 = LaneSums.sum(lanes, 2 * VL), t03 = LaneSums.sum(lanes, 3 * VL);
        for (; c < k; c++) {
            float w0 = Float.float16ToFloat(w.get(U16_LE, row0 + 2L * c));
            float w1 = Float.float16ToFloat(w.get(U16_LE, row1 + 2L * c));
            float w2 = Float.float16ToFloat(w.get(U16_LE, row2 + 2L * c));
            float w3 = Float.float16ToFloat(w.get(U16_LE, row3 + 2L * c));
            float v0 = x[x0 + c];
            t00 += v0 * w0; t01 += v0 * w1; t02 += v0 * w2; t03 += v0 * w3;
        }
        store(out, outOff, accumulate, t00, t01, t02, t03);
    }

    private static void dot4x4F16(float[] out, int outOff, int ldo, float[] x, int xOff, int ldx, int rows,
            MemorySegment w, long row0, long stride, int k, boolean accumulate, float[] lanes, float[] widened) {
        long row1 = row0 + stride, row2 = row1 + stride, row3 = row2 + stride;
        int x0 = xOff;
        int x1 = xOff + Math.min(1, rows - 1) * ldx;
        int x2 = xOff + Math.min(2, rows - 1) * ldx;
        int x3 = xOff + Math.min(3, rows - 1) * ldx;
        FloatVector s00 = FloatVector.zero(F), s01 = FloatVector.zero(F), s02 = FloatVector.zero(F), s03 = FloatVector.zero(F);
        FloatVector s10 = FloatVector.zero(F), s11 = FloatVector.zero(F), s12 = FloatVector.zero(F), s13 = FloatVector.zero(F);
        FloatVector s20 = FloatVector.zero(F), s21 = FloatVector.zero(F), s22 = FloatVector.zero(F), s23 = FloatVector.zero(F);
        FloatVector s30 = FloatVector.zero(F), s31 = FloatVector.zero(F), s32 = FloatVector.zero(F), s33 = FloatVector.zero(F);
        int bound = F.loopBound(k);
        for (int c0 = 0; c0 < bound; c0 += WIDEN_CHUNK) {
            int chunk = Math.min(WIDEN_CHUNK, bound - c0);
            WeightVectors.widenF16(w, row0 + 2L * c0, widened, 0 * WIDEN_CHUNK, chunk);
            WeightVectors.widenF16(w, row1 + 2L * c0, widened, 1 * WIDEN_CHUNK, chunk);
            WeightVectors.widenF16(w, row2 + 2L * c0, widened, 2 * WIDEN_CHUNK, chunk);
            WeightVectors.widenF16(w, row3 + 2L * c0, widened, 3 * WIDEN_CHUNK, chunk);
            for (int c = 0; c < chunk; c += VL) {
                FloatVector w0 = FloatVector.fromArray(F, widened, 0 * WIDEN_CHUNK + c);
                FloatVector w1 = FloatVector.fromArray(F, widened, 1 * WIDEN_CHUNK + c);
                FloatVector w2 = FloatVector.fromArray(F, widened, 2 * WIDEN_CHUNK + c);
                FloatVector w3 = FloatVector.fromArray(F, widened, 3 * WIDEN_CHUNK + c);
                FloatVector v0 = FloatVector.fromArray(F, x, x0 + c0 + c);
                s00 = w0.fma(v0, s00); s01 = w1.fma(v0, s01); s02 = w2.fma(v0, s02); s03 = w3.fma(v0, s03);
                FloatVector v1 = FloatVector.fromArray(F, x, x1 + c0 + c);
                s10 = w0.fma(v1, s10); s11 = w1.fma(v1, s11); s12 = w2.fma(v1, s12); s13 = w3.fma(v1, s13);
                FloatVector v2 = FloatVector.fromArray(F, x, x2 + c0 + c);
                s20 = w0.fma(v2, s20); s21 = w1.fma(v2, s21); s22 = w2.fma(v2, s22); s23 = w3.fma(v2, s23);
                FloatVector v3 = FloatVector.fromArray(F, x, x3 + c0 + c);
                s30 = w0.fma(v3, s30); s31 = w1.fma(v3, s31); s32 = w2.fma(v3, s32); s33 = w3.fma(v3, s33);
            }
        }
        int c = bound;
        s00.intoArray(lanes, 0 * VL); s01.intoArray(lanes, 1 * VL); s02.intoArray(lanes, 2 * VL); s03.intoArray(lanes, 3 * VL);
        s10.intoArray(lanes, 4 * VL); s11.intoArray(lanes, 5 * VL); s12.intoArray(lanes, 6 * VL); s13.intoArray(lanes, 7 * VL);
        s20.intoArray(lanes, 8 * VL); s21.intoArray(lanes, 9 * VL); s22.intoArray(lanes, 10 * VL); s23.intoArray(lanes, 11 * VL);
        s30.intoArray(lanes, 12 * VL); s31.intoArray(lanes, 13 * VL); s32.intoArray(lanes, 14 * VL); s33.intoArray(lanes, 15 * VL);
        float t00 = LaneSums.sum(lanes, 0 * VL), t01 = LaneSums.sum(lanes, 1 * VL), t02 = LaneSums.sum(lanes, 2 * VL), t03 = LaneSums.sum(lanes, 3 * VL);
        float t10 = LaneSums.sum(lanes, 4 * VL), t11 = LaneSums.sum(lanes, 5 * VL), t12 = LaneSums.sum(lanes, 6 * VL), t13 = LaneSums.sum(lanes, 7 * VL);
        float t20 = LaneSums.sum(lanes, 8 * VL), t21 = LaneSums.sum(lanes, 9 * VL), t22 = LaneSums.sum(lanes, 10 * VL), t23 = LaneSums.sum(lanes, 11 * VL);
        float t30 = LaneSums.sum(lanes, 12 * VL), t31 = LaneSums.sum(lanes, 13 * VL), t32 = LaneSums.sum(lanes, 14 * VL), t33 = LaneSums.sum(lanes, 15 * VL);
        for (; c < k; c++) {
            float w0 = Float.float16ToFloat(w.get(U16_LE, row0 + 2L * c));
            float w1 = Float.float16ToFloat(w.get(U16_LE, row1 + 2L * c));
            float w2 = Float.float16ToFloat(w.get(U16_LE, row2 + 2L * c));
            float w3 = Float.float16ToFloat(w.get(U16_LE, row3 + 2L * c));
            float v0 = x[x0 + c];
            t00 += v0 * w0; t01 += v0 * w1; t02 += v0 * w2; t03 += v0 * w3;
            float v1 = x[x1 + c];
            t10 += v1 * w0; t11 += v1 * w1; t12 += v1 * w2; t13 += v1 * w3;
            float v2 = x[x2 + c];
            t20 += v2 * w0; t21 += v2 * w1; t22 += v2 * w2; t23 += v2 * w3;
            float v3 = x[x3 + c];
            t30 += v3 * w0; t31 += v3 * w1; t32 += v3 * w2; t33 += v3 * w3;
        }
        store(out, outOff, accumulate, t00, t01, t02, t03);
        if (rows > 1) {
            store(out, outOff + 1 * ldo, accumulate, t10, t11, t12, t13);
        }
        if (rows > 2) {
            store(out, outOff + 2 * ldo, accumulate, t20, t21, t22, t23);
        }
        if (rows > 3) {
            store(out, outOff + 3 * ldo, accumulate, t30, t31, t32, t33);
        }
    }

}
