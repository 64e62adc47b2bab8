package dev.mod4j.runtime.cpu;

import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.runtime.tensor.WeightMatrix;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Widening of weights (F32, BF16, F16 little-endian, at any offset) to float. */
final class WeightVectors {

    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int VL = F.length();
    /** Bytes of one vector: a vector step of a row reads this many (VL F32 or 2·VL half-precision weights). */
    static final int VECTOR_BYTES = F.vectorByteSize();
    static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED;
    /** Shorts in half the preferred width: one load of them widens to one float vector. */
    static final VectorSpecies<Short> HALF_SHORTS =
            ShortVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(F.vectorBitSize() / 2));
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfShort U16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);

    // Constants as vectors: lanewise(op, scalar) forms broadcast again on every call in some JIT shapes.
    static final IntVector MAGNITUDE_BITS = IntVector.broadcast(INTS, 0x7FFF_0000);
    static final IntVector SIGN_BIT = IntVector.broadcast(INTS, 0x8000_0000);
    static final IntVector FLOAT_EXPONENT_ONES = IntVector.broadcast(INTS, 0x7F80_0000);
    /** A half's all-ones exponent (infinity or NaN) after the shift to a float's exponent position. */
    static final IntVector HALF_EXPONENT_ONES = IntVector.broadcast(INTS, 0x0F80_0000);
    /** (127 - 15) << 23: moves a half's exponent bias to a float's. */
    static final IntVector EXPONENT_REBIAS = IntVector.broadcast(INTS, 112 << 23);
    /** The lowest bit of a float's exponent: magnitudes below it had a zero half exponent (zero or subnormal). */
    static final IntVector FLOAT_EXPONENT_LSB = IntVector.broadcast(INTS, 1 << 23);
    static final FloatVector SMALLEST_NORMAL_HALF = FloatVector.broadcast(F, 0x1p-14f);
    /** The upper half of each int: the odd-indexed one of the two halves an int lane holds. */
    static final IntVector HIGH_HALF = IntVector.broadcast(INTS, 0xFFFF_0000);

    private WeightVectors() {
    }

    // Paired order. Half-precision weights (BF16, F16) are fastest read 2·VL at a time as VL ints: shifting each
    // int left by 16 gives the even-indexed elements as float bits, masking its upper half the odd-indexed ones,
    // with no cross-lane widening instruction (which made decode compute-bound: ~25% slower). A dot product then
    // pairs them with activations in the same order, so kernels that must agree bit for bit put weights and
    // activations in paired order: per block of 2·VL elements, the even-indexed ones, then the odd-indexed ones;
    // elements from pairedBound on stay in natural order.

    /** Where the whole 2·VL blocks of a length-k vector end. */
    static int pairedBound(int k) {
        return k - k % (2 * VL);
    }

    /** {@code src[srcOff .. + k)} into {@code dst[dstOff ..]} in paired order. */
    static void toPairedOrder(float[] src, int srcOff, float[] dst, int dstOff, int k) {
        int bound = pairedBound(k);
        for (int b = 0; b < bound; b += 2 * VL) {
            for (int j = 0; j < VL; j++) {
                dst[dstOff + b + j] = src[srcOff + b + 2 * j];
                dst[dstOff + b + VL + j] = src[srcOff + b + 2 * j + 1];
            }
        }
        System.arraycopy(src, srcOff + bound, dst, dstOff + bound, k - bound);
    }

    /** The float with these BF16 bits (exact). */
    static float bf16(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /**
     * {@code W[row][c0 .. c0 + count)} widened into {@code dst[at ..]}, in paired order when {@code paired} (half
     * precision; c0 and count are then multiples of 2·VL). An interleaved matrix is read chunk by chunk.
     */
    static void widenRow(WeightMatrix w, int row, int c0, int count, boolean paired, float[] dst, int at) {
        if (w.dtype() == DType.Q8_0) {
            Q8_0DotProducts.widen(w, row, c0, count, dst, at); // never interleaved, never paired
            return;
        }
        if (!w.interleaved()) {
            widenRun(w.dtype(), w.data(), w.offset(row, c0), count, paired, dst, at);
            return;
        }
        // Chunk by chunk, the offset stepping from one chunk of the row to its next (no division per chunk).
        int perChunk = w.chunkBytes() / w.dtype().byteSize();
        long chunkStep = (long) WeightMatrix.GROUP_ROWS * w.chunkBytes();
        int end = c0 + count;
        int c = c0;
        int first = Math.min(end - c, perChunk - c % perChunk);
        widenRun(w.dtype(), w.data(), w.offset(row, c), first, paired, dst, at);
        c += first;
        for (long offset = c < end ? w.offset(row, c) : 0; c < end; c += perChunk, offset += chunkStep) {
            widenRun(w.dtype(), w.data(), offset, Math.min(perChunk, end - c), paired, dst, at + c - c0);
        }
    }

    /** Per-thread scratch for {@link #widenGroup}, grown on demand. */
    private static final ThreadLocal<float[][]> GROUP_SCRATCH =
            ThreadLocal.withInitial(() -> new float[][] {new float[0]});

    /**
     * Like {@link #widenRow} for the {@link WeightMatrix#GROUP_ROWS} rows of one group of an interleaved matrix
     * (row0 its first row; c0 and count whole chunks), row j into {@code dst[at + j·dstRowStride ..]}. The group's
     * chunks are one contiguous run: it is widened in one pass into a scratch, then dealt to the rows. Widening
     * chunk by chunk costs a call per 64 bytes, which doubled the time of a short prompt's packing.
     */
    static void widenGroup(WeightMatrix w, int row0, int c0, int count, boolean paired, float[] dst, int at,
                           int dstRowStride) {
        int rows = WeightMatrix.GROUP_ROWS;
        float[][] holder = GROUP_SCRATCH.get();
        if (holder[0].length < rows * count) {
            holder[0] = new float[rows * count];
        }
        float[] scratch = holder[0];
        widenRun(w.dtype(), w.data(), w.offset(row0, c0), rows * count, paired, scratch, 0);
        int perChunk = w.chunkBytes() / w.dtype().byteSize();
        // A chunk is a whole number of vectors; copied in registers (System.arraycopy per chunk costs more).
        for (int c = 0, src = 0; c < count; c += perChunk) {
            for (int j = 0; j < rows; j++) {
                int to = at + j * dstRowStride + c;
                for (int v = 0; v < perChunk; v += VL, src += VL) {
                    FloatVector.fromArray(F, scratch, src).intoArray(dst, to + v);
                }
            }
        }
    }

    /**
     * The {@link WeightMatrix#GROUP_ROWS} rows of one group of an interleaved matrix (row0 its first row, c0 and
     * count whole chunks), widened in the order memory holds them: run i (chunk i of each row in turn,
     * {@code runLength} values) into {@code dst[at + i·dstRunStride ..]}.
     */
    static void widenGroupRuns(WeightMatrix w, int row0, int c0, int count, float[] dst, int at, int runLength,
                               int dstRunStride) {
        long offset = w.offset(row0, c0);
        long runBytes = (long) runLength * w.dtype().byteSize();
        for (int i = 0, values = WeightMatrix.GROUP_ROWS * count; i * runLength < values; i++) {
            widenRun(w.dtype(), w.data(), offset + i * runBytes, runLength, false, dst, at + i * dstRunStride);
        }
    }

    private static void widenRun(DType dtype, MemorySegment data, long offset, int count, boolean paired,
                                 float[] dst, int at) {
        switch (dtype) {
            case F32 -> widenF32(data, offset, dst, at, count);
            case BF16 -> {
                if (paired) {
                    widenBF16Paired(data, offset, dst, at, count);
                } else {
                    widenBF16(data, offset, dst, at, count);
                }
            }
            case F16 -> {
                if (paired) {
                    widenF16Paired(data, offset, dst, at, count);
                } else {
                    widenF16(data, offset, dst, at, count);
                }
            }
            default -> throw new AssertionError(dtype);
        }
    }

    // Bulk widening into a float array, one method per dtype. The conversions are written out in the loops, not
    // called: C2 may decline to inline a helper returning a vector (too big, or already compiled on its own), and
    // then allocates every vector it returns.

    /** {@code count} F32 values at byte {@code offset} into {@code dst[at ..]}. */
    static void widenF32(MemorySegment w, long offset, float[] dst, int at, int count) {
        int i = 0;
        for (int bound = F.loopBound(count); i < bound; i += VL) {
            FloatVector.fromMemorySegment(F, w, offset + 4L * i, LE).intoArray(dst, at + i);
        }
        for (; i < count; i++) {
            dst[at + i] = w.get(F32_LE, offset + 4L * i);
        }
    }

    /** {@code count} BF16 values at byte {@code offset} into {@code dst[at ..]}: BF16 is a float's top half. */
    static void widenBF16(MemorySegment w, long offset, float[] dst, int at, int count) {
        int i = 0;
        for (int bound = F.loopBound(count); i < bound; i += VL) {
            ((IntVector) ShortVector.fromMemorySegment(HALF_SHORTS, w, offset + 2L * i, LE)
                    .convertShape(VectorOperators.S2I, INTS, 0))
                    .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(dst, at + i);
        }
        for (; i < count; i++) {
            dst[at + i] = bf16(w.get(U16_LE, offset + 2L * i));
        }
    }

    /** Like {@link #widenBF16}, in paired order; {@code count} is a multiple of 2·VL. */
    static void widenBF16Paired(MemorySegment w, long offset, float[] dst, int at, int count) {
        for (int i = 0; i < count; i += 2 * VL) {
            IntVector pairs = IntVector.fromMemorySegment(INTS, w, offset + 2L * i, LE);
            pairs.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(dst, at + i);
            pairs.and(HIGH_HALF).reinterpretAsFloats().intoArray(dst, at + i + VL);
        }
    }

    /** Like {@link #widenF16}, in paired order; {@code count} is a multiple of 2·VL. */
    static void widenF16Paired(MemorySegment w, long offset, float[] dst, int at, int count) {
        for (int i = 0; i < count; i += 2 * VL) {
            IntVector pairs = IntVector.fromMemorySegment(INTS, w, offset + 2L * i, LE);
            halfToFloat(pairs.lanewise(VectorOperators.LSHL, 16)).intoArray(dst, at + i);
            halfToFloat(pairs.and(HIGH_HALF)).intoArray(dst, at + i + VL);
        }
    }

    /**
     * {@code count} F16 values at byte {@code offset} into {@code dst[at ..]}, exactly: subnormals, infinities
     * and NaNs included. JDK 25's Vector API has no lane-wise half-float conversion, so this rebiases with integer
     * arithmetic: the 15 exponent+mantissa bits moved to a float's position plus (127 - 15) in the exponent give
     * every normal half. A subnormal half (exponent 0), given exponent 1 instead, reads 2^-14 · (1 + m/1024), from
     * which subtracting 2^-14 leaves exactly m · 2^-24; an all-ones exponent (inf/NaN) gets the float's all-ones
     * exponent. No step computes on subnormal floats, which cost this CPU three times as much.
     */
    static void widenF16(MemorySegment w, long offset, float[] dst, int at, int count) {
        int i = 0;
        for (int bound = F.loopBound(count); i < bound; i += VL) {
            IntVector bits = ((IntVector) ShortVector.fromMemorySegment(HALF_SHORTS, w, offset + 2L * i, LE)
                    .convertShape(VectorOperators.S2I, INTS, 0)).lanewise(VectorOperators.LSHL, 16);
            halfToFloat(bits).intoArray(dst, at + i);
        }
        for (; i < count; i++) {
            dst[at + i] = Float.float16ToFloat(w.get(U16_LE, offset + 2L * i));
        }
    }

    /**
     * The floats of F16 values held in the high 16 bits of each int lane (low bits zero), exactly, by the integer
     * rebiasing described at {@link #widenF16}. The one-row kernels in DotProductKernels write this sequence out
     * instead of calling it: inside their larger loops C2 does not inline it and boxes every vector.
     */
    static FloatVector halfToFloat(IntVector bits) {
        IntVector magnitude = bits.and(MAGNITUDE_BITS).lanewise(VectorOperators.LSHR, 3);
        IntVector rebiased = magnitude.add(EXPONENT_REBIAS);
        IntVector subnormalFixed = rebiased.add(FLOAT_EXPONENT_LSB).reinterpretAsFloats()
                .sub(SMALLEST_NORMAL_HALF).reinterpretAsInts();
        return rebiased.blend(subnormalFixed, magnitude.compare(VectorOperators.LT, FLOAT_EXPONENT_LSB))
                .blend(magnitude.or(FLOAT_EXPONENT_ONES), magnitude.compare(VectorOperators.GE, HALF_EXPONENT_ONES))
                .or(bits.and(SIGN_BIT)).reinterpretAsFloats();
    }
}
