package dev.mod4j.runtime.cpu;

import dev.mod4j.runtime.tensor.Q8_0;
import dev.mod4j.runtime.tensor.WeightMatrix;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * {@code out = in · Wᵀ} for a few activation rows (decode) with {@link dev.mod4j.loaders.safetensors.DType#Q8_0
 * Q8_0} weights, and their widening to float for prefill's packed panels.
 *
 * <p>Decode: the int8 values stream from memory and are converted to float in registers (a sign-extending load
 * and a conversion per VL values), then FMAs with the activations; 4 weight rows at a time, each block's sum
 * multiplied by its scale: {@code out = Σ_blocks d_b · (Σ_j q_j · x_j)}, lane-wise, then a {@link LaneSums fixed-order
 * lane sum}. Results depend on the shapes only, not on the thread count or the layout (row-major, or interleaved a
 * block at a time, which reads a group of 4 rows as two streams). llama.cpp instead quantizes the activations to
 * int8 too and multiplies integers; here activations stay float (int16 products emulated with the Vector API, which
 * has no {@code vpmaddwd}, were slower: see the README's Q8_0 paragraph).
 *
 * <p>Prefill: {@link #widen} gives {@code q · d} (exact in float: 8 by 11 significant bits), so a prompt's products
 * are the F32 GEMM's on the dequantized weights.
 */
final class Q8_0DotProducts {
    private static final VectorSpecies<Float> F = WeightVectors.F;
    private static final int VL = WeightVectors.VL;
    /** Bytes holding VL int8 values: one vector's worth once converted. */
    private static final VectorSpecies<Byte> BYTES = VectorSpecies.of(byte.class, VectorShape.forBitSize(VL * Byte.SIZE));
    /** The f16 scales of one block of an interleaved group's 4 rows: 8 contiguous bytes. */
    private static final VectorSpecies<Short> GROUP_SCALES = ShortVector.SPECIES_64;
    private static final ValueLayout.OfShort U16_LE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int BLOCK = Q8_0.BLOCK;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final VectorOperators.Conversion<Byte, Float> B2F = VectorOperators.B2F;
    private static final int ROWS = WeightMatrix.GROUP_ROWS;
    private static final int ITEMS_PER_THREAD = 4;
    private static final ThreadLocal<float[]> LANES = ThreadLocal.withInitial(() -> new float[ROWS * VL]);

    private Q8_0DotProducts() {
    }

    static void multiply(float[] out, int outOffset, float[] in, int inOffset, int rows, WeightMatrix w,
                         boolean accumulate, Parallel parallel) {
        int n = w.outFeatures();
        int block = Math.max(ROWS, roundUp(ceilDiv(n, parallel.threads() * ITEMS_PER_THREAD), ROWS));
        parallel.forEach(ceilDiv(n, block), item -> {
            int from = item * block;
            int to = Math.min(n, from + block);
            float[] lanes = LANES.get();
            for (int r = 0; r < rows; r++) {
                int x = inOffset + r * w.inFeatures();
                int o = outOffset + r * n;
                int row = from;
                if (w.interleaved()) {
                    // Whole groups only: an interleaved matrix has them, and each item starts at a multiple of 4.
                    for (; row < to; row += ROWS) {
                        dot4Interleaved(out, o + row, in, x, w, row, accumulate, lanes);
                    }
                }
                for (; row + ROWS <= to; row += ROWS) {
                    dot4(out, o + row, in, x, w, row, accumulate, lanes);
                }
                for (; row < to; row++) {
                    dot1(out, o + row, in, x, w, row, accumulate, lanes);
                }
            }
        });
    }

    /**
     * out[at + j] (+)= W[row + j] · x for j < 4 of a row-major matrix (8 streams: each row's values and scales);
     * interleaved groups have {@link #dot4Interleaved}.
     *
     * <p>The loop calls no method of this class ({@link #values} and {@link #scale} are written out): C2 stops
     * inlining ordinary methods once a compilation reaches its node budget ({@code NodeCountInliningCutoff}), and
     * this loop is near it; the JDK's own Vector API and memory-access methods are force-inlined past it. When it was
     * reached (in some JVMs, depending on what ran before), the last {@code scale} call stayed a call, the vectors
     * live across it were boxed, and decode ran at 0.55× (14.4 against 26–28.5 tokens/s; C2's compilation log).
     */
    private static void dot4(float[] out, int at, float[] x, int xAt, WeightMatrix w, int row, boolean accumulate,
                             float[] lanes) {
        MemorySegment data = w.data();
        int k = w.inFeatures();
        long q0 = w.offset(row, 0);
        long q1 = w.offset(row + 1, 0);
        long q2 = w.offset(row + 2, 0);
        long q3 = w.offset(row + 3, 0);
        long s0 = w.scaleOffset(row, 0);
        long s1 = w.scaleOffset(row + 1, 0);
        long s2 = w.scaleOffset(row + 2, 0);
        long s3 = w.scaleOffset(row + 3, 0);
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        for (int c = 0; c < k; c += BLOCK, q0 += BLOCK, q1 += BLOCK, q2 += BLOCK, q3 += BLOCK,
                s0 += Short.BYTES, s1 += Short.BYTES, s2 += Short.BYTES, s3 += Short.BYTES) {
            // A block's first products start its sums (a product, as an FMA onto zero would give, one op fewer).
            FloatVector xv = FloatVector.fromArray(F, x, xAt + c);
            FloatVector b0 = ((FloatVector) ByteVector.fromMemorySegment(BYTES, data, q0, LE)
                    .convertShape(B2F, F, 0)).mul(xv);
            FloatVector b1 = ((FloatVector) ByteVector.fromMemorySegment(BYTES, data, q1, LE)
                    .convertShape(B2F, F, 0)).mul(xv);
            FloatVector b2 = ((FloatVector) ByteVector.fromMemorySegment(BYTES, data, q2, LE)
                    .convertShape(B2F, F, 0)).mul(xv);
            FloatVector b3 = ((FloatVector) ByteVector.fromMemorySegment(BYTES, data, q3, LE)
                    .convertShape(B2F, F, 0)).mul(xv);
            for (int v = VL; v < BLOCK; v += VL) {
                xv = FloatVector.fromArray(F, x, xAt + c + v);
                b0 = ((FloatVector) ByteVector.fromMemorySegment(BYTES, data, q0 + v, LE)
                        .convertShape(B2F, F, 0)).fma(xv, b0);
                b1 = ((FloatVector) ByteVector.fromMemorySegment(BYTES, data, q1 + v, LE)
                        .convertShape(B2F, F, 0)).fma(xv, b1);
                b2 = ((FloatVector) ByteVector.fromMemorySegment(BYTES, data, q2 + v, LE)
                        .convertShape(B2F, F, 0)).fma(xv, b2);
                b3 = ((FloatVector) ByteVector.fromMemorySegment(BYTES, data, q3 + v, LE)
                        .convertShape(B2F, F, 0)).fma(xv, b3);
            }
            a0 = b0.fma(FloatVector.broadcast(F, Float.float16ToFloat(data.get(U16_LE, s0))), a0);
            a1 = b1.fma(FloatVector.broadcast(F, Float.float16ToFloat(data.get(U16_LE, s1))), a1);
            a2 = b2.fma(FloatVector.broadcast(F, Float.float16ToFloat(data.get(U16_LE, s2))), a2);
            a3 = b3.fma(FloatVector.broadcast(F, Float.float16ToFloat(data.get(U16_LE, s3))), a3);
        }
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, VL);
        a2.intoArray(lanes, 2 * VL);
        a3.intoArray(lanes, 3 * VL);
        for (int j = 0; j < ROWS; j++) {
            float sum = LaneSums.sum(lanes, j * VL);
            out[at + j] = accumulate ? out[at + j] + sum : sum;
        }
    }

    /**
     * {@link #dot4} for an interleaved group, with two differences in how it reads memory (same arithmetic, same
     * results). Every address is a linear function of the block counter, so C2 takes the segment's bounds checks out
     * of the loop. And the 4 scales of a block are one 8-byte vector load, not 4 {@code MemorySegment.get} calls:
     * a {@code get} goes through a VarHandle whose alignment check calls {@code maxAlignMask()} on the segment's
     * class, and where that call site's profile (shared by every segment access in the JVM: file mappings, heap
     * segments) holds several classes, C2 leaves a virtual call in the loop. The vectors live across it were then
     * spilled, and decode ran at 0.6–0.7× in those JVMs (compiled kernel 11.7 KB against 7.1 KB; README, Q8_0).
     */
    private static void dot4Interleaved(float[] out, int at, float[] x, int xAt, WeightMatrix w, int row,
                                        boolean accumulate, float[] lanes) {
        MemorySegment data = w.data();
        int blocks = w.inFeatures() / BLOCK;
        long q = w.offset(row, 0);
        long s = w.scaleOffset(row, 0);
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            long qb = q + (long) b * (ROWS * BLOCK);
            int c = xAt + b * BLOCK;
            FloatVector xv = FloatVector.fromArray(F, x, c);
            FloatVector b0 = ((FloatVector) ByteVector.fromMemorySegment(BYTES, data, qb, LE)
                    .convertShape(B2F, F, 0)).mul(xv);
            FloatVector b1 = ((FloatVector) ByteVector.fromMemorySegment(BYTES, data, qb + BLOCK, LE)
                    .convertShape(B2F, F, 0)).mul(xv);
            FloatVector b2 = ((FloatVector) ByteVector.fromMemorySegment(BYTES, data, qb + 2 * BLOCK, LE)
                    .convertShape(B2F, F, 0)).mul(xv);
            FloatVector b3 = ((FloatVector) ByteVector.fromMemorySegment(BYTES, data, qb + 3 * BLOCK, LE)
                    .convertShape(B2F, F, 0)).mul(xv);
            for (int v = VL; v < BLOCK; v += VL) {
                xv = FloatVector.fromArray(F, x, c + v);
                b0 = ((FloatVector) ByteVector.fromMemorySegment(BYTES, data, qb + v, LE)
                        .convertShape(B2F, F, 0)).fma(xv, b0);
                b1 = ((FloatVector) ByteVector.fromMemorySegment(BYTES, data, qb + BLOCK + v, LE)
                        .convertShape(B2F, F, 0)).fma(xv, b1);
                b2 = ((FloatVector) ByteVector.fromMemorySegment(BYTES, data, qb + 2 * BLOCK + v, LE)
                        .convertShape(B2F, F, 0)).fma(xv, b2);
                b3 = ((FloatVector) ByteVector.fromMemorySegment(BYTES, data, qb + 3 * BLOCK + v, LE)
                        .convertShape(B2F, F, 0)).fma(xv, b3);
            }
            ShortVector d = ShortVector.fromMemorySegment(GROUP_SCALES, data, s + (long) b * (ROWS * Short.BYTES),
                    LE);
            a0 = b0.fma(FloatVector.broadcast(F, Float.float16ToFloat(d.lane(0))), a0);
            a1 = b1.fma(FloatVector.broadcast(F, Float.float16ToFloat(d.lane(1))), a1);
            a2 = b2.fma(FloatVector.broadcast(F, Float.float16ToFloat(d.lane(2))), a2);
            a3 = b3.fma(FloatVector.broadcast(F, Float.float16ToFloat(d.lane(3))), a3);
        }
        if (!LaneSums.IN_REGISTERS) {
            a0.intoArray(lanes, 0);
            a1.intoArray(lanes, VL);
            a2.intoArray(lanes, 2 * VL);
            a3.intoArray(lanes, 3 * VL);
            for (int j = 0; j < ROWS; j++) {
                float sum = LaneSums.sum(lanes, j * VL);
                out[at + j] = accumulate ? out[at + j] + sum : sum;
            }
            return;
        }
        // LaneSums' order in registers (see there).
        if (VL >= 16) {
            a0 = a0.add(a0.rearrange(LaneSums.FOLD_8));
            a1 = a1.add(a1.rearrange(LaneSums.FOLD_8));
            a2 = a2.add(a2.rearrange(LaneSums.FOLD_8));
            a3 = a3.add(a3.rearrange(LaneSums.FOLD_8));
        }
        if (VL >= 8) {
            a0 = a0.add(a0.rearrange(LaneSums.FOLD_4));
            a1 = a1.add(a1.rearrange(LaneSums.FOLD_4));
            a2 = a2.add(a2.rearrange(LaneSums.FOLD_4));
            a3 = a3.add(a3.rearrange(LaneSums.FOLD_4));
        }
        a0 = a0.add(a0.rearrange(LaneSums.FOLD_2));
        a1 = a1.add(a1.rearrange(LaneSums.FOLD_2));
        a2 = a2.add(a2.rearrange(LaneSums.FOLD_2));
        a3 = a3.add(a3.rearrange(LaneSums.FOLD_2));
        a0 = a0.add(a0.rearrange(LaneSums.FOLD_1));
        a1 = a1.add(a1.rearrange(LaneSums.FOLD_1));
        a2 = a2.add(a2.rearrange(LaneSums.FOLD_1));
        a3 = a3.add(a3.rearrange(LaneSums.FOLD_1));
        if (accumulate) {
            out[at] += a0.lane(0);
            out[at + 1] += a1.lane(0);
            out[at + 2] += a2.lane(0);
            out[at + 3] += a3.lane(0);
        } else {
            out[at] = a0.lane(0);
            out[at + 1] = a1.lane(0);
            out[at + 2] = a2.lane(0);
            out[at + 3] = a3.lane(0);
        }
    }

    /** out[at] (+)= W[row] · x of a row-major matrix, with {@link #dot4}'s arithmetic. */
    private static void dot1(float[] out, int at, float[] x, int xAt, WeightMatrix w, int row, boolean accumulate,
                             float[] lanes) {
        MemorySegment data = w.data();
        int k = w.inFeatures();
        long q = w.offset(row, 0);
        long s = w.scaleOffset(row, 0);
        FloatVector a = FloatVector.zero(F);
        for (int c = 0; c < k; c += BLOCK, q += BLOCK, s += Short.BYTES) {
            FloatVector b = values(data, q).mul(FloatVector.fromArray(F, x, xAt + c));
            for (int v = VL; v < BLOCK; v += VL) {
                b = values(data, q + v).fma(FloatVector.fromArray(F, x, xAt + c + v), b);
            }
            a = b.fma(FloatVector.broadcast(F, scale(data, s)), a);
        }
        a.intoArray(lanes, 0);
        float sum = LaneSums.sum(lanes, 0);
        out[at] = accumulate ? out[at] + sum : sum;
    }

    /** VL int8 values at {@code offset}, as floats. */
    private static FloatVector values(MemorySegment data, long offset) {
        return (FloatVector) ByteVector.fromMemorySegment(BYTES, data, offset, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.B2F, F, 0);
    }

    private static float scale(MemorySegment data, long offset) {
        return Float.float16ToFloat(data.get(U16_LE, offset));
    }

    /** {@code W[row][c0 .. c0 + count)} as floats ({@code q · d}) into {@code dst[at ..]}. */
    static void widen(WeightMatrix w, int row, int c0, int count, float[] dst, int at) {
        MemorySegment data = w.data();
        int c = c0;
        int end = c0 + count;
        for (; c < end && c % BLOCK != 0; c++) {
            dst[at + c - c0] = w.get(row, c);
        }
        for (; c + BLOCK <= end; c += BLOCK) {
            float d = scale(data, w.scaleOffset(row, c / BLOCK));
            long q = w.offset(row, c);
            for (int v = 0; v < BLOCK; v += VL) {
                values(data, q + v).mul(d).intoArray(dst, at + c - c0 + v);
            }
        }
        for (; c < end; c++) {
            dst[at + c - c0] = w.get(row, c);
        }
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    private static int roundUp(int a, int b) {
        return ceilDiv(a, b) * b;
    }
}
