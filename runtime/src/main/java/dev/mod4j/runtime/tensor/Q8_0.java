package dev.mod4j.runtime.tensor;

import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.loaders.safetensors.HugePageMemory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.stream.IntStream;

/**
 * llama.cpp's Q8_0 quantization, as {@code quantize_row_q8_0_ref} in ggml/src/ggml-quants.c computes it (and
 * gguf-py's {@code Q8_0.quantize_blocks}, "bit-exact" with it): for each block of 32 weights,
 * {@code d = max|x| / 127} in float, {@code q = roundf(x · (1/d))} (half away from zero; 0 when d is 0), and d stored
 * as f16 rounded to nearest even. A weight is {@code q · d}.
 */
public final class Q8_0 {
    /** Weights per block (llama.cpp's {@code QK8_0}). */
    public static final int BLOCK = 32;

    private static final ValueLayout.OfFloat F32_LE =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16_LE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Q8_0() {
    }

    /**
     * A {@link DType#Q8_0} copy of {@code w} (F32, F16 or BF16, inFeatures a multiple of {@link #BLOCK}) in memory
     * that lives as long as {@code arena} (huge pages where the OS offers them), rows quantized in parallel, and
     * {@link WeightMatrix interleaved} a block at a time where the rows come in whole groups.
     */
    public static WeightMatrix quantize(WeightMatrix w, Arena arena) {
        if (w.dtype() == DType.Q8_0) {
            return w;
        }
        int in = w.inFeatures();
        if (in % BLOCK != 0) {
            throw new IllegalArgumentException("weight matrix " + w.name() + ": Q8_0 needs inFeatures in blocks of "
                    + BLOCK + ", got " + in);
        }
        WeightMatrix rows = w.rowMajor(arena);
        long bytes = (long) w.outFeatures() * in + (long) w.outFeatures() * (in / BLOCK) * Short.BYTES;
        MemorySegment data = HugePageMemory.allocate(arena, bytes);
        int chunk = WeightMatrix.canInterleave(DType.Q8_0, w.outFeatures(), in, BLOCK) ? BLOCK : 0;
        WeightMatrix q = new WeightMatrix(w.name(), data, DType.Q8_0, w.outFeatures(), in, chunk);
        // Rows in parallel where other threads may touch both memories (not a confined arena's).
        Thread other = new Thread(() -> { });
        boolean shared = rows.data().isAccessibleBy(other) && data.isAccessibleBy(other);
        IntStream rowIndexes = IntStream.range(0, w.outFeatures());
        (shared ? rowIndexes.parallel() : rowIndexes).forEach(row -> {
            float[] x = new float[in];
            byte[] quants = new byte[in];
            short[] scales = new short[in / BLOCK];
            widenRow(rows, row, x);
            quantizeRow(x, 0, in, quants, 0, scales, 0);
            for (int b = 0; b < scales.length; b++) {
                MemorySegment.copy(quants, b * BLOCK, data, ValueLayout.JAVA_BYTE, q.offset(row, b * BLOCK), BLOCK);
                data.set(U16_LE, q.scaleOffset(row, b), scales[b]);
            }
        });
        return q;
    }

    /**
     * {@code quantize_row_q8_0_ref}: {@code count} values (a multiple of {@link #BLOCK}) from {@code x[xAt]} into
     * int8 values at {@code quants[qAt]} and f16 scale bits at {@code scales[sAt]}, one per block.
     */
    public static void quantizeRow(float[] x, int xAt, int count, byte[] quants, int qAt, short[] scales, int sAt) {
        for (int b = 0; b < count / BLOCK; b++) {
            int from = xAt + b * BLOCK;
            float amax = 0f;
            for (int j = 0; j < BLOCK; j++) {
                amax = Math.max(amax, Math.abs(x[from + j]));
            }
            float d = amax / 127;
            float id = d != 0 ? 1f / d : 0f;
            scales[sAt + b] = Float.floatToFloat16(d);
            for (int j = 0; j < BLOCK; j++) {
                quants[qAt + b * BLOCK + j] = (byte) roundHalfAwayFromZero(x[from + j] * id);
            }
        }
    }

    /** C's {@code roundf}: to nearest, halves away from zero (in double, where |v| + 0.5 is exact). */
    static int roundHalfAwayFromZero(float v) {
        return (int) Math.copySign(Math.floor(Math.abs((double) v) + 0.5), v);
    }

    /** Row {@code row} of a row-major F32/F16/BF16 matrix as floats. */
    private static void widenRow(WeightMatrix w, int row, float[] x) {
        long at = w.offset(row, 0);
        int in = w.inFeatures();
        switch (w.dtype()) {
            case F32 -> MemorySegment.copy(w.data(), F32_LE, at, x, 0, in);
            case BF16, F16 -> {
                short[] bits = new short[in];
                MemorySegment.copy(w.data(), U16_LE, at, bits, 0, in);
                for (int i = 0; i < in; i++) {
                    x[i] = w.dtype() == DType.BF16 ? WeightMatrix.bfloat16ToFloat(bits[i])
                            : Float.float16ToFloat(bits[i]);
                }
            }
            default -> throw new IllegalArgumentException("weight matrix " + w.name() + ": cannot quantize "
                    + w.dtype());
        }
    }
}
