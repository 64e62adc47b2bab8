package dev.mod4j.runtime.cpu;

import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.runtime.tensor.WeightMatrix;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * {@code out = in · Wᵀ} for a few activation rows (decode): every output is a dot product of a weight row with
 * an activation row, vectorised along inFeatures. Weights stream from memory once per call, split by output rows
 * over the threads: for one activation row they are widened in registers as they stream; for several, each group
 * of 4 weight rows is widened chunk by chunk into an L1 scratch and applied to all activation rows (4 at a time)
 * from there.
 *
 * <p>Half-precision weights are read in {@link WeightVectors#pairedBound paired order}, activations rearranged
 * to match once per call.
 *
 * <p>An output's arithmetic is the same in every kernel here (lane-wise FMAs over whole vectors in order, a
 * {@link LaneSums fixed-order lane sum}, then the tail in order), so it depends neither on the thread count nor
 * on which kernel shape computed it.
 *
 * <p>The one-row kernels are generated (one per dtype and shape) rather than sharing a dtype switch, because C2
 * does not reliably hoist a switch out of the hot loop.
 */
final class DotProductKernels {

    private static final VectorSpecies<Float> F = WeightVectors.F;
    private static final int VL = WeightVectors.VL;
    private static final VectorSpecies<Integer> INTS = WeightVectors.INTS;
    private static final IntVector MAGNITUDE_BITS = WeightVectors.MAGNITUDE_BITS;
    private static final IntVector SIGN_BIT = WeightVectors.SIGN_BIT;
    private static final IntVector FLOAT_EXPONENT_ONES = WeightVectors.FLOAT_EXPONENT_ONES;
    private static final IntVector HALF_EXPONENT_ONES = WeightVectors.HALF_EXPONENT_ONES;
    private static final IntVector EXPONENT_REBIAS = WeightVectors.EXPONENT_REBIAS;
    private static final IntVector FLOAT_EXPONENT_LSB = WeightVectors.FLOAT_EXPONENT_LSB;
    private static final FloatVector SMALLEST_NORMAL_HALF = WeightVectors.SMALLEST_NORMAL_HALF;
    private static final IntVector HIGH_HALF = WeightVectors.HIGH_HALF;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfShort U16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);

    /** Weight rows per kernel call: an interleaved matrix's group, so that each call reads one stream. */
    private static final int OUTPUT_GROUP = WeightMatrix.GROUP_ROWS;
    /** Activation rows per kernel call when there are several. */
    private static final int ROW_GROUP = 4;
    /** Work items per thread, so that a core slowed by other work can leave items to the others. */
    private static final int ITEMS_PER_THREAD = 4;
    /**
     * inFeatures widened at a time for the multi-row kernels: 4 rows × 512 floats (8 KiB) stay in L1, and each
     * weight is widened once for all activation rows.
     */
    private static final int WIDEN_CHUNK = 512;

    /** Per-thread scratch: accumulator lanes, widened weight rows, and multi-row accumulators. */
    private static final ThreadLocal<float[]> LANES = ThreadLocal.withInitial(() -> new float[OUTPUT_GROUP * VL]);
    private static final ThreadLocal<float[]> WIDENED =
            ThreadLocal.withInitial(() -> new float[OUTPUT_GROUP * WIDEN_CHUNK]);
    /** Per-thread activation rows in paired order (half-precision weights), grown on demand. */
    private static final ThreadLocal<float[][]> PAIRED = ThreadLocal.withInitial(() -> new float[][] {new float[0]});
    private static final ThreadLocal<float[]> ACCUMULATORS = ThreadLocal.withInitial(
            () -> new float[roundUp(MatmulKernel.PACKING_MIN_ROWS, ROW_GROUP) * OUTPUT_GROUP * VL]);

    private DotProductKernels() {
    }

    static void multiply(float[] out, int outOffset, float[] in, int inOffset, int rows, WeightMatrix w,
                         boolean accumulate, Parallel parallel) {
        if (w.interleaved() && w.chunkBytes() != WeightVectors.VECTOR_BYTES) {
            throw new IllegalArgumentException("weight matrix " + w.name() + ": interleaved " + w.chunkBytes()
                    + " bytes at a time, but the decode kernels read " + WeightVectors.VECTOR_BYTES);
        }
        int n = w.outFeatures();
        int targetItems = parallel.threads() * ITEMS_PER_THREAD;
        int block = Math.max(OUTPUT_GROUP, roundUp(ceilDiv(n, targetItems), OUTPUT_GROUP));
        int items = ceilDiv(n, block);
        // Half-precision weights are read in paired order (see WeightVectors); the activations are put in it once
        // here, in the calling thread's scratch, which the workers only read until forEach returns.
        boolean paired = w.dtype() != DType.F32;
        float[] activations = paired ? pairedActivations(in, inOffset, rows, w.inFeatures()) : in;
        int activationsOffset = paired ? 0 : inOffset;
        parallel.forEach(items, item -> {
            int from = item * block;
            multiplyOutputs(out, outOffset, activations, activationsOffset, rows, w, from, Math.min(n, from + block),
                    accumulate);
        });
    }

    /** The calling thread's scratch holding {@code rows} activation rows of length k in paired order. */
    private static float[] pairedActivations(float[] in, int inOffset, int rows, int k) {
        float[][] holder = PAIRED.get();
        if (holder[0].length < rows * k) {
            holder[0] = new float[rows * k];
        }
        float[] paired = holder[0];
        for (int r = 0; r < rows; r++) {
            WeightVectors.toPairedOrder(in, inOffset + r * k, paired, r * k, k);
        }
        return paired;
    }

    /**
     * out[r][o] (+)= dot(W[o], in[r]) for all rows and o in [from, to); for half-precision weights {@code in} is
     * already in paired order.
     */
    private static void multiplyOutputs(float[] out, int outOffset, float[] in, int inOffset, int rows,
                                        WeightMatrix w, int from, int to, boolean accumulate) {
        MemorySegment data = w.data();
        int k = w.inFeatures();
        long stride = w.rowByteStride();
        // One row: weights widened in registers as they stream. Several rows: widened once into a scratch that
        // all rows reuse.
        if (rows > 1) {
            for (int o = from; o < to; o += OUTPUT_GROUP) {
                multiplyOutputGroup(out, outOffset, in, inOffset, rows, w, o, Math.min(OUTPUT_GROUP, to - o),
                        accumulate);
            }
            return;
        }
        float[] lanes = LANES.get();
        // A vector step of 4 rows reads one chunk of each: 4 streams in a row-major matrix, one in an interleaved.
        long rowStep = w.interleaved() ? w.chunkBytes() : stride;
        long chunkStep = w.interleaved() ? (long) OUTPUT_GROUP * w.chunkBytes() : WeightVectors.VECTOR_BYTES;
        int o = from;
        for (; o + OUTPUT_GROUP <= to; o += OUTPUT_GROUP) {
            int outOff = outOffset + o;
            long row = w.offset(o, 0);
            switch (w.dtype()) {
                case F32 -> dot1x4F32(out, outOff, in, inOffset, data, row, rowStep, chunkStep, k, accumulate, lanes);
                case BF16 -> dot1x4BF16(out, outOff, in, inOffset, data, row, rowStep, chunkStep, k, accumulate,
                        lanes);
                case F16 -> dot1x4F16(out, outOff, in, inOffset, data, row, rowStep, chunkStep, k, accumulate,
                        lanes);
                default -> throw new AssertionError(w.dtype());
            }
        }
        for (; o < to; o++) {
            int outOff = outOffset + o;
            long row = o * stride;
            switch (w.dtype()) {
                case F32 -> dot1x1F32(out, outOff, in, inOffset, data, row, k, accumulate, lanes);
                case BF16 -> dot1x1BF16(out, outOff, in, inOffset, data, row, k, accumulate, lanes);
                case F16 -> dot1x1F16(out, outOff, in, inOffset, data, row, k, accumulate, lanes);
                default -> throw new AssertionError(w.dtype());
            }
        }
    }

    /**
     * Outputs [o, o + outputs), outputs ≤ 4, for all activation rows. The weight rows are widened
     * {@link #WIDEN_CHUNK} inFeatures at a time into an L1-resident scratch, once for all activation rows, and
     * each group of 4 activation rows adds that chunk to its 16 accumulator vectors, kept in a scratch between
     * chunks. Per output this is the same sequence of FMAs, lane sum and tail as the one-row kernels.
     */
    private static void multiplyOutputGroup(float[] out, int outOffset, float[] in, int inOffset, int rows,
                                            WeightMatrix w, int o, int outputs, boolean accumulate) {
        float[] widened = WIDENED.get();
        float[] acc = ACCUMULATORS.get();
        int n = w.outFeatures();
        int k = w.inFeatures();
        int bound = w.dtype() == DType.F32 ? F.loopBound(k) : WeightVectors.pairedBound(k);
        int lastChunk = 0;
        for (int c0 = 0; c0 < k; c0 += WIDEN_CHUNK) {
            int chunk = Math.min(WIDEN_CHUNK, k - c0);
            if (w.interleaved() && outputs == OUTPUT_GROUP && bound == k) {
                // The group's chunks are consecutive: widened in one run rather than a call per row chunk.
                WeightVectors.widenGroup(w, o, c0, chunk, w.dtype() != DType.F32, widened, 0, WIDEN_CHUNK);
            } else {
                for (int j = 0; j < OUTPUT_GROUP; j++) {
                    if (j < outputs) {
                        widen(w, o + j, c0, chunk, Math.clamp(bound - c0, 0, chunk), widened, j * WIDEN_CHUNK);
                    } else if (c0 == 0) {
                        Arrays.fill(widened, j * WIDEN_CHUNK, (j + 1) * WIDEN_CHUNK, 0f);
                    }
                }
            }
            int vectorPart = Math.clamp(bound - c0, 0, chunk);
            if (rows == 1) {
                accumulate1x4(widened, vectorPart, in, inOffset + c0, acc, c0 == 0);
            }
            for (int r = 0; rows > 1 && r < rows; r += ROW_GROUP) {
                accumulate4x4(widened, vectorPart, in, inOffset + r * k + c0, k, Math.min(ROW_GROUP, rows - r),
                        acc, r * OUTPUT_GROUP * VL, c0 == 0);
            }
            lastChunk = c0;
        }
        for (int r = 0; r < rows; r++) {
            int xOff = inOffset + r * k;
            for (int j = 0; j < outputs; j++) {
                float t = LaneSums.sum(acc, (r * OUTPUT_GROUP + j) * VL);
                for (int c = bound; c < k; c++) {
                    float v = in[xOff + c];
                    t += v * widened[j * WIDEN_CHUNK + c - lastChunk];
                }
                int at = outOffset + r * n + o + j;
                out[at] = accumulate ? out[at] + t : t;
            }
        }
    }

    /**
     * Widens {@code count} weights of a row from inFeature c0; half precision in paired order for the first
     * {@code paired} (a multiple of 2·VL), natural order after.
     */
    private static void widen(WeightMatrix w, int row, int c0, int count, int paired, float[] dst, int at) {
        if (w.dtype() == DType.F32) {
            WeightVectors.widenRow(w, row, c0, count, false, dst, at);
        } else {
            WeightVectors.widenRow(w, row, c0, paired, true, dst, at);
            WeightVectors.widenRow(w, row, c0 + paired, count - paired, false, dst, at + paired);
        }
    }

    /**
     * Adds {@code count} (a multiple of VL) widened inFeatures of 4 weight rows times 4 activation rows to the
     * accumulator vectors kept in {@code acc[accOff ..]} (started from zero when {@code first}); activation rows
     * past {@code rows} repeat the last one, their accumulators are ignored.
     */
    private static void accumulate4x4(float[] widened, int count, float[] x, int xOff, int ldx, int rows,
                                      float[] acc, int accOff, boolean first) {
        FloatVector zero = FloatVector.zero(F);
        int x0 = xOff;
        int x1 = xOff + Math.min(1, rows - 1) * ldx;
        int x2 = xOff + Math.min(2, rows - 1) * ldx;
        int x3 = xOff + Math.min(3, rows - 1) * ldx;
        FloatVector s00 = first ? zero : FloatVector.fromArray(F, acc, accOff);
        FloatVector s01 = first ? zero : FloatVector.fromArray(F, acc, accOff + 1 * VL);
        FloatVector s02 = first ? zero : FloatVector.fromArray(F, acc, accOff + 2 * VL);
        FloatVector s03 = first ? zero : FloatVector.fromArray(F, acc, accOff + 3 * VL);
        FloatVector s10 = first ? zero : FloatVector.fromArray(F, acc, accOff + 4 * VL);
        FloatVector s11 = first ? zero : FloatVector.fromArray(F, acc, accOff + 5 * VL);
        FloatVector s12 = first ? zero : FloatVector.fromArray(F, acc, accOff + 6 * VL);
        FloatVector s13 = first ? zero : FloatVector.fromArray(F, acc, accOff + 7 * VL);
        FloatVector s20 = first ? zero : FloatVector.fromArray(F, acc, accOff + 8 * VL);
        FloatVector s21 = first ? zero : FloatVector.fromArray(F, acc, accOff + 9 * VL);
        FloatVector s22 = first ? zero : FloatVector.fromArray(F, acc, accOff + 10 * VL);
        FloatVector s23 = first ? zero : FloatVector.fromArray(F, acc, accOff + 11 * VL);
        FloatVector s30 = first ? zero : FloatVector.fromArray(F, acc, accOff + 12 * VL);
        FloatVector s31 = first ? zero : FloatVector.fromArray(F, acc, accOff + 13 * VL);
        FloatVector s32 = first ? zero : FloatVector.fromArray(F, acc, accOff + 14 * VL);
        FloatVector s33 = first ? zero : FloatVector.fromArray(F, acc, accOff + 15 * VL);
        for (int c = 0; c < count; c += VL) {
            FloatVector w0 = FloatVector.fromArray(F, widened, 0 * WIDEN_CHUNK + c);
            FloatVector w1 = FloatVector.fromArray(F, widened, 1 * WIDEN_CHUNK + c);
            FloatVector w2 = FloatVector.fromArray(F, widened, 2 * WIDEN_CHUNK + c);
            FloatVector w3 = FloatVector.fromArray(F, widened, 3 * WIDEN_CHUNK + c);
            FloatVector v0 = FloatVector.fromArray(F, x, x0 + c);
            s00 = w0.fma(v0, s00); s01 = w1.fma(v0, s01); s02 = w2.fma(v0, s02); s03 = w3.fma(v0, s03);
            FloatVector v1 = FloatVector.fromArray(F, x, x1 + c);
            s10 = w0.fma(v1, s10); s11 = w1.fma(v1, s11); s12 = w2.fma(v1, s12); s13 = w3.fma(v1, s13);
            FloatVector v2 = FloatVector.fromArray(F, x, x2 + c);
            s20 = w0.fma(v2, s20); s21 = w1.fma(v2, s21); s22 = w2.fma(v2, s22); s23 = w3.fma(v2, s23);
            FloatVector v3 = FloatVector.fromArray(F, x, x3 + c);
            s30 = w0.fma(v3, s30); s31 = w1.fma(v3, s31); s32 = w2.fma(v3, s32); s33 = w3.fma(v3, s33);
        }
        s00.intoArray(acc, accOff + 0 * VL); s01.intoArray(acc, accOff + 1 * VL);
        s02.intoArray(acc, accOff + 2 * VL); s03.intoArray(acc, accOff + 3 * VL);
        s10.intoArray(acc, accOff + 4 * VL); s11.intoArray(acc, accOff + 5 * VL);
        s12.intoArray(acc, accOff + 6 * VL); s13.intoArray(acc, accOff + 7 * VL);
        s20.intoArray(acc, accOff + 8 * VL); s21.intoArray(acc, accOff + 9 * VL);
        s22.intoArray(acc, accOff + 10 * VL); s23.intoArray(acc, accOff + 11 * VL);
        s30.intoArray(acc, accOff + 12 * VL); s31.intoArray(acc, accOff + 13 * VL);
        s32.intoArray(acc, accOff + 14 * VL); s33.intoArray(acc, accOff + 15 * VL);
    }

    /** The one-row form of {@link #accumulate4x4}: accumulators for outputs 0..3 at {@code acc[0 ..]}. */
    private static void accumulate1x4(float[] widened, int count, float[] x, int xOff, float[] acc, boolean first) {
        FloatVector zero = FloatVector.zero(F);
        FloatVector s0 = first ? zero : FloatVector.fromArray(F, acc, 0);
        FloatVector s1 = first ? zero : FloatVector.fromArray(F, acc, VL);
        FloatVector s2 = first ? zero : FloatVector.fromArray(F, acc, 2 * VL);
        FloatVector s3 = first ? zero : FloatVector.fromArray(F, acc, 3 * VL);
        for (int c = 0; c < count; c += VL) {
            FloatVector v = FloatVector.fromArray(F, x, xOff + c);
            s0 = FloatVector.fromArray(F, widened, c).fma(v, s0);
            s1 = FloatVector.fromArray(F, widened, WIDEN_CHUNK + c).fma(v, s1);
            s2 = FloatVector.fromArray(F, widened, 2 * WIDEN_CHUNK + c).fma(v, s2);
            s3 = FloatVector.fromArray(F, widened, 3 * WIDEN_CHUNK + c).fma(v, s3);
        }
        s0.intoArray(acc, 0);
        s1.intoArray(acc, VL);
        s2.intoArray(acc, 2 * VL);
        s3.intoArray(acc, 3 * VL);
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
    // Generated kernels for one activation row: dot1x{outputs}{dtype}. The widening is written out in each (see
    // WeightVectors for the F16 method). Keep every output's arithmetic identical to multiplyOutputGroup's: FMAs
    // (weight · activation + sum) over whole vectors in order, LaneSums, then the tail in order. Half-precision
    // kernels read the weights, and the activations prepared by multiply, in WeightVectors' paired order.

    private static void dot1x1F32(float[] out, int outOff, float[] x, int xOff, MemorySegment w, long row0,
            int k, boolean accumulate, float[] lanes) {
        FloatVector s0 = FloatVector.zero(F);
        int c = 0;
        for (int bound = F.loopBound(k); c < bound; c += VL) {
            FloatVector v = FloatVector.fromArray(F, x, xOff + c);
            FloatVector w0 = FloatVector.fromMemorySegment(F, w, row0 + 4L * c, LE);
            s0 = w0.fma(v, s0);
        }
        s0.intoArray(lanes, 0 * VL);
        float t0 = LaneSums.sum(lanes, 0 * VL);
        for (; c < k; c++) {
            float v = x[xOff + c];
            t0 += v * w.get(F32_LE, row0 + 4L * c);
        }
        store(out, outOff, accumulate, t0);
    }

    private static void dot1x4F32(float[] out, int outOff, float[] x, int xOff, MemorySegment w, long row0,
            long rowStep, long chunkStep, int k, boolean accumulate, float[] lanes) {
        long row1 = row0 + rowStep, row2 = row1 + rowStep, row3 = row2 + rowStep;
        FloatVector s0 = FloatVector.zero(F);
        FloatVector s1 = FloatVector.zero(F);
        FloatVector s2 = FloatVector.zero(F);
        FloatVector s3 = FloatVector.zero(F);
        int c = 0;
        long a = 0;
        for (int bound = F.loopBound(k); c < bound; c += VL, a += chunkStep) {
            FloatVector v = FloatVector.fromArray(F, x, xOff + c);
            FloatVector w0 = FloatVector.fromMemorySegment(F, w, row0 + a, LE);
            s0 = w0.fma(v, s0);
            FloatVector w1 = FloatVector.fromMemorySegment(F, w, row1 + a, LE);
            s1 = w1.fma(v, s1);
            FloatVector w2 = FloatVector.fromMemorySegment(F, w, row2 + a, LE);
            s2 = w2.fma(v, s2);
            FloatVector w3 = FloatVector.fromMemorySegment(F, w, row3 + a, LE);
            s3 = w3.fma(v, s3);
        }
        s0.intoArray(lanes, 0 * VL);
        s1.intoArray(lanes, 1 * VL);
        s2.intoArray(lanes, 2 * VL);
        s3.intoArray(lanes, 3 * VL);
        float t0 = LaneSums.sum(lanes, 0 * VL);
        float t1 = LaneSums.sum(lanes, 1 * VL);
        float t2 = LaneSums.sum(lanes, 2 * VL);
        float t3 = LaneSums.sum(lanes, 3 * VL);
        for (; c < k; c++) {
            float v = x[xOff + c];
            t0 += v * w.get(F32_LE, row0 + 4L * c);
            t1 += v * w.get(F32_LE, row1 + 4L * c);
            t2 += v * w.get(F32_LE, row2 + 4L * c);
            t3 += v * w.get(F32_LE, row3 + 4L * c);
        }
        store(out, outOff, accumulate, t0, t1, t2, t3);
    }

    private static void dot1x1BF16(float[] out, int outOff, float[] x, int xOff, MemorySegment w, long row0,
            int k, boolean accumulate, float[] lanes) {
        FloatVector s0 = FloatVector.zero(F);
        int c = 0;
        for (int bound = WeightVectors.pairedBound(k); c < bound; c += 2 * VL) {
            FloatVector even = FloatVector.fromArray(F, x, xOff + c);
            FloatVector odd = FloatVector.fromArray(F, x, xOff + c + VL);
            IntVector p0 = IntVector.fromMemorySegment(INTS, w, row0 + 2L * c, LE);
            s0 = p0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(even, s0);
            s0 = p0.and(HIGH_HALF).reinterpretAsFloats().fma(odd, s0);
        }
        s0.intoArray(lanes, 0 * VL);
        float t0 = LaneSums.sum(lanes, 0 * VL);
        for (; c < k; c++) {
            float v = x[xOff + c];
            t0 += v * WeightVectors.bf16(w.get(U16_LE, row0 + 2L * c));
        }
        store(out, outOff, accumulate, t0);
    }

    private static void dot1x4BF16(float[] out, int outOff, float[] x, int xOff, MemorySegment w, long row0,
            long rowStep, long chunkStep, int k, boolean accumulate, float[] lanes) {
        long row1 = row0 + rowStep, row2 = row1 + rowStep, row3 = row2 + rowStep;
        FloatVector s0 = FloatVector.zero(F);
        FloatVector s1 = FloatVector.zero(F);
        FloatVector s2 = FloatVector.zero(F);
        FloatVector s3 = FloatVector.zero(F);
        int c = 0;
        long a = 0;
        for (int bound = WeightVectors.pairedBound(k); c < bound; c += 2 * VL, a += chunkStep) {
            FloatVector even = FloatVector.fromArray(F, x, xOff + c);
            FloatVector odd = FloatVector.fromArray(F, x, xOff + c + VL);
            IntVector p0 = IntVector.fromMemorySegment(INTS, w, row0 + a, LE);
            s0 = p0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(even, s0);
            s0 = p0.and(HIGH_HALF).reinterpretAsFloats().fma(odd, s0);
            IntVector p1 = IntVector.fromMemorySegment(INTS, w, row1 + a, LE);
            s1 = p1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(even, s1);
            s1 = p1.and(HIGH_HALF).reinterpretAsFloats().fma(odd, s1);
            IntVector p2 = IntVector.fromMemorySegment(INTS, w, row2 + a, LE);
            s2 = p2.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(even, s2);
            s2 = p2.and(HIGH_HALF).reinterpretAsFloats().fma(odd, s2);
            IntVector p3 = IntVector.fromMemorySegment(INTS, w, row3 + a, LE);
            s3 = p3.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(even, s3);
            s3 = p3.and(HIGH_HALF).reinterpretAsFloats().fma(odd, s3);
        }
        s0.intoArray(lanes, 0 * VL);
        s1.intoArray(lanes, 1 * VL);
        s2.intoArray(lanes, 2 * VL);
        s3.intoArray(lanes, 3 * VL);
        float t0 = LaneSums.sum(lanes, 0 * VL);
        float t1 = LaneSums.sum(lanes, 1 * VL);
        float t2 = LaneSums.sum(lanes, 2 * VL);
        float t3 = LaneSums.sum(lanes, 3 * VL);
        for (; c < k; c++) {
            float v = x[xOff + c];
            t0 += v * WeightVectors.bf16(w.get(U16_LE, row0 + 2L * c));
            t1 += v * WeightVectors.bf16(w.get(U16_LE, row1 + 2L * c));
            t2 += v * WeightVectors.bf16(w.get(U16_LE, row2 + 2L * c));
            t3 += v * WeightVectors.bf16(w.get(U16_LE, row3 + 2L * c));
        }
        store(out, outOff, accumulate, t0, t1, t2, t3);
    }

    private static void dot1x1F16(float[] out, int outOff, float[] x, int xOff, MemorySegment w, long row0,
            int k, boolean accumulate, float[] lanes) {
        FloatVector s0 = FloatVector.zero(F);
        int c = 0;
        for (int bound = WeightVectors.pairedBound(k); c < bound; c += 2 * VL) {
            FloatVector even = FloatVector.fromArray(F, x, xOff + c);
            FloatVector odd = FloatVector.fromArray(F, x, xOff + c + VL);
            IntVector p0 = IntVector.fromMemorySegment(INTS, w, row0 + 2L * c, LE);
            IntVector he0 = p0.lanewise(VectorOperators.LSHL, 16);
            IntVector me0 = he0.and(MAGNITUDE_BITS).lanewise(VectorOperators.LSHR, 3);
            IntVector ee0 = me0.add(EXPONENT_REBIAS);
            FloatVector we0 = ee0
                    .blend(ee0.add(FLOAT_EXPONENT_LSB).reinterpretAsFloats().sub(SMALLEST_NORMAL_HALF)
                            .reinterpretAsInts(), me0.compare(VectorOperators.LT, FLOAT_EXPONENT_LSB))
                    .blend(me0.or(FLOAT_EXPONENT_ONES), me0.compare(VectorOperators.GE, HALF_EXPONENT_ONES))
                    .or(he0.and(SIGN_BIT)).reinterpretAsFloats();
            s0 = we0.fma(even, s0);
            IntVector ho0 = p0.and(HIGH_HALF);
            IntVector mo0 = ho0.and(MAGNITUDE_BITS).lanewise(VectorOperators.LSHR, 3);
            IntVector eo0 = mo0.add(EXPONENT_REBIAS);
            FloatVector wo0 = eo0
                    .blend(eo0.add(FLOAT_EXPONENT_LSB).reinterpretAsFloats().sub(SMALLEST_NORMAL_HALF)
                            .reinterpretAsInts(), mo0.compare(VectorOperators.LT, FLOAT_EXPONENT_LSB))
                    .blend(mo0.or(FLOAT_EXPONENT_ONES), mo0.compare(VectorOperators.GE, HALF_EXPONENT_ONES))
                    .or(ho0.and(SIGN_BIT)).reinterpretAsFloats();
            s0 = wo0.fma(odd, s0);
        }
        s0.intoArray(lanes, 0 * VL);
        float t0 = LaneSums.sum(lanes, 0 * VL);
        for (; c < k; c++) {
            float v = x[xOff + c];
            t0 += v * Float.float16ToFloat(w.get(U16_LE, row0 + 2L * c));
        }
        store(out, outOff, accumulate, t0);
    }

    private static void dot1x4F16(float[] out, int outOff, float[] x, int xOff, MemorySegment w, long row0,
            long rowStep, long chunkStep, int k, boolean accumulate, float[] lanes) {
        long row1 = row0 + rowStep, row2 = row1 + rowStep, row3 = row2 + rowStep;
        FloatVector s0 = FloatVector.zero(F);
        FloatVector s1 = FloatVector.zero(F);
        FloatVector s2 = FloatVector.zero(F);
        FloatVector s3 = FloatVector.zero(F);
        int c = 0;
        long a = 0;
        for (int bound = WeightVectors.pairedBound(k); c < bound; c += 2 * VL, a += chunkStep) {
            FloatVector even = FloatVector.fromArray(F, x, xOff + c);
            FloatVector odd = FloatVector.fromArray(F, x, xOff + c + VL);
            IntVector p0 = IntVector.fromMemorySegment(INTS, w, row0 + a, LE);
            IntVector he0 = p0.lanewise(VectorOperators.LSHL, 16);
            IntVector me0 = he0.and(MAGNITUDE_BITS).lanewise(VectorOperators.LSHR, 3);
            IntVector ee0 = me0.add(EXPONENT_REBIAS);
            FloatVector we0 = ee0
                    .blend(ee0.add(FLOAT_EXPONENT_LSB).reinterpretAsFloats().sub(SMALLEST_NORMAL_HALF)
                            .reinterpretAsInts(), me0.compare(VectorOperators.LT, FLOAT_EXPONENT_LSB))
                    .blend(me0.or(FLOAT_EXPONENT_ONES), me0.compare(VectorOperators.GE, HALF_EXPONENT_ONES))
                    .or(he0.and(SIGN_BIT)).reinterpretAsFloats();
            s0 = we0.fma(even, s0);
            IntVector ho0 = p0.and(HIGH_HALF);
            IntVector mo0 = ho0.and(MAGNITUDE_BITS).lanewise(VectorOperators.LSHR, 3);
            IntVector eo0 = mo0.add(EXPONENT_REBIAS);
            FloatVector wo0 = eo0
                    .blend(eo0.add(FLOAT_EXPONENT_LSB).reinterpretAsFloats().sub(SMALLEST_NORMAL_HALF)
                            .reinterpretAsInts(), mo0.compare(VectorOperators.LT, FLOAT_EXPONENT_LSB))
                    .blend(mo0.or(FLOAT_EXPONENT_ONES), mo0.compare(VectorOperators.GE, HALF_EXPONENT_ONES))
                    .or(ho0.and(SIGN_BIT)).reinterpretAsFloats();
            s0 = wo0.fma(odd, s0);
            IntVector p1 = IntVector.fromMemorySegment(INTS, w, row1 + a, LE);
            IntVector he1 = p1.lanewise(VectorOperators.LSHL, 16);
            IntVector me1 = he1.and(MAGNITUDE_BITS).lanewise(VectorOperators.LSHR, 3);
            IntVector ee1 = me1.add(EXPONENT_REBIAS);
            FloatVector we1 = ee1
                    .blend(ee1.add(FLOAT_EXPONENT_LSB).reinterpretAsFloats().sub(SMALLEST_NORMAL_HALF)
                            .reinterpretAsInts(), me1.compare(VectorOperators.LT, FLOAT_EXPONENT_LSB))
                    .blend(me1.or(FLOAT_EXPONENT_ONES), me1.compare(VectorOperators.GE, HALF_EXPONENT_ONES))
                    .or(he1.and(SIGN_BIT)).reinterpretAsFloats();
            s1 = we1.fma(even, s1);
            IntVector ho1 = p1.and(HIGH_HALF);
            IntVector mo1 = ho1.and(MAGNITUDE_BITS).lanewise(VectorOperators.LSHR, 3);
            IntVector eo1 = mo1.add(EXPONENT_REBIAS);
            FloatVector wo1 = eo1
                    .blend(eo1.add(FLOAT_EXPONENT_LSB).reinterpretAsFloats().sub(SMALLEST_NORMAL_HALF)
                            .reinterpretAsInts(), mo1.compare(VectorOperators.LT, FLOAT_EXPONENT_LSB))
                    .blend(mo1.or(FLOAT_EXPONENT_ONES), mo1.compare(VectorOperators.GE, HALF_EXPONENT_ONES))
                    .or(ho1.and(SIGN_BIT)).reinterpretAsFloats();
            s1 = wo1.fma(odd, s1);
            IntVector p2 = IntVector.fromMemorySegment(INTS, w, row2 + a, LE);
            IntVector he2 = p2.lanewise(VectorOperators.LSHL, 16);
            IntVector me2 = he2.and(MAGNITUDE_BITS).lanewise(VectorOperators.LSHR, 3);
            IntVector ee2 = me2.add(EXPONENT_REBIAS);
            FloatVector we2 = ee2
                    .blend(ee2.add(FLOAT_EXPONENT_LSB).reinterpretAsFloats().sub(SMALLEST_NORMAL_HALF)
                            .reinterpretAsInts(), me2.compare(VectorOperators.LT, FLOAT_EXPONENT_LSB))
                    .blend(me2.or(FLOAT_EXPONENT_ONES), me2.compare(VectorOperators.GE, HALF_EXPONENT_ONES))
                    .or(he2.and(SIGN_BIT)).reinterpretAsFloats();
            s2 = we2.fma(even, s2);
            IntVector ho2 = p2.and(HIGH_HALF);
            IntVector mo2 = ho2.and(MAGNITUDE_BITS).lanewise(VectorOperators.LSHR, 3);
            IntVector eo2 = mo2.add(EXPONENT_REBIAS);
            FloatVector wo2 = eo2
                    .blend(eo2.add(FLOAT_EXPONENT_LSB).reinterpretAsFloats().sub(SMALLEST_NORMAL_HALF)
                            .reinterpretAsInts(), mo2.compare(VectorOperators.LT, FLOAT_EXPONENT_LSB))
                    .blend(mo2.or(FLOAT_EXPONENT_ONES), mo2.compare(VectorOperators.GE, HALF_EXPONENT_ONES))
                    .or(ho2.and(SIGN_BIT)).reinterpretAsFloats();
            s2 = wo2.fma(odd, s2);
            IntVector p3 = IntVector.fromMemorySegment(INTS, w, row3 + a, LE);
            IntVector he3 = p3.lanewise(VectorOperators.LSHL, 16);
            IntVector me3 = he3.and(MAGNITUDE_BITS).lanewise(VectorOperators.LSHR, 3);
            IntVector ee3 = me3.add(EXPONENT_REBIAS);
            FloatVector we3 = ee3
                    .blend(ee3.add(FLOAT_EXPONENT_LSB).reinterpretAsFloats().sub(SMALLEST_NORMAL_HALF)
                            .reinterpretAsInts(), me3.compare(VectorOperators.LT, FLOAT_EXPONENT_LSB))
                    .blend(me3.or(FLOAT_EXPONENT_ONES), me3.compare(VectorOperators.GE, HALF_EXPONENT_ONES))
                    .or(he3.and(SIGN_BIT)).reinterpretAsFloats();
            s3 = we3.fma(even, s3);
            IntVector ho3 = p3.and(HIGH_HALF);
            IntVector mo3 = ho3.and(MAGNITUDE_BITS).lanewise(VectorOperators.LSHR, 3);
            IntVector eo3 = mo3.add(EXPONENT_REBIAS);
            FloatVector wo3 = eo3
                    .blend(eo3.add(FLOAT_EXPONENT_LSB).reinterpretAsFloats().sub(SMALLEST_NORMAL_HALF)
                            .reinterpretAsInts(), mo3.compare(VectorOperators.LT, FLOAT_EXPONENT_LSB))
                    .blend(mo3.or(FLOAT_EXPONENT_ONES), mo3.compare(VectorOperators.GE, HALF_EXPONENT_ONES))
                    .or(ho3.and(SIGN_BIT)).reinterpretAsFloats();
            s3 = wo3.fma(odd, s3);
        }
        s0.intoArray(lanes, 0 * VL);
        s1.intoArray(lanes, 1 * VL);
        s2.intoArray(lanes, 2 * VL);
        s3.intoArray(lanes, 3 * VL);
        float t0 = LaneSums.sum(lanes, 0 * VL);
        float t1 = LaneSums.sum(lanes, 1 * VL);
        float t2 = LaneSums.sum(lanes, 2 * VL);
        float t3 = LaneSums.sum(lanes, 3 * VL);
        for (; c < k; c++) {
            float v = x[xOff + c];
            t0 += v * Float.float16ToFloat(w.get(U16_LE, row0 + 2L * c));
            t1 += v * Float.float16ToFloat(w.get(U16_LE, row1 + 2L * c));
            t2 += v * Float.float16ToFloat(w.get(U16_LE, row2 + 2L * c));
            t3 += v * Float.float16ToFloat(w.get(U16_LE, row3 + 2L * c));
        }
        store(out, outOff, accumulate, t0, t1, t2, t3);
    }
}
