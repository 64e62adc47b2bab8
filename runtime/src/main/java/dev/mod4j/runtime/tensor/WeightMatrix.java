package dev.mod4j.runtime.tensor;

import dev.mod4j.loaders.safetensors.DType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * The weight of a HuggingFace {@code nn.Linear}: {@code [outFeatures][inFeatures]}, little-endian, with F32, F16
 * or BF16 elements that kernels widen to float as they read them.
 *
 * <p>Row-major as in the checkpoint ({@code chunkBytes == 0}), or <em>interleaved</em>: rows in groups of
 * {@link #GROUP_ROWS}, each group's rows stored {@code chunkBytes} at a time in turn (chunk 0 of rows 0..3, chunk
 * 1 of rows 0..3, ...). A decode kernel reading 4 rows together then reads one sequential stream instead of 4,
 * which memory streams faster (see {@link #interleaveInPlace}). Read elements through {@link #offset}.
 *
 * <p>{@link DType#Q8_0} weights (quantized at load, see {@link Q8_0}) hold llama.cpp's Q8_0 values, split in two:
 * the int8 values row-major ({@code [out][in]}, one byte each, so that {@link #offset} is theirs), then the f16
 * scales, one per 32 values ({@code [out][in / 32]}, at {@link #scaleOffset}). llama.cpp interleaves them as 34-byte
 * blocks; apart, every row of values is a whole number of vectors. Both parts are interleaved when
 * {@code chunkBytes} is {@link Q8_0#BLOCK}: the values one block at a time as above, the scales one at a time
 * (scale of block b for rows 0..3 of a group, then block b + 1, ...), so that a decode kernel reading a group of
 * rows reads two sequential streams instead of eight.
 *
 * <p>{@code data} is usually a read-only slice of a memory-mapped safetensors file, so it may sit at any
 * offset: only the element size's alignment (2 bytes for F16/BF16, 4 for F32) can be relied on, and the
 * layouts used here are the unaligned ones for that reason. Kernels read it from several threads, so it must
 * come from a shared, global or automatic arena, not a confined one.
 */
public record WeightMatrix(String name, MemorySegment data, DType dtype, int outFeatures, int inFeatures,
                           int chunkBytes) {

    /** Rows per interleaved group. */
    public static final int GROUP_ROWS = 4;

    private static final ValueLayout.OfFloat F32_LE =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16_LE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public WeightMatrix {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(data, "data of " + name);
        Objects.requireNonNull(dtype, "dtype of " + name);
        if (dtype != DType.F32 && dtype != DType.F16 && dtype != DType.BF16 && dtype != DType.Q8_0) {
            throw new IllegalArgumentException("weight matrix " + name + ": element type " + dtype
                    + " is not supported (F32, F16, BF16 or Q8_0)");
        }
        if (outFeatures <= 0 || inFeatures <= 0) {
            throw new IllegalArgumentException(
                    "weight matrix " + name + ": shape [" + outFeatures + ", " + inFeatures + "] must be positive");
        }
        if (dtype == DType.Q8_0 && inFeatures % Q8_0.BLOCK != 0) {
            throw new IllegalArgumentException("weight matrix " + name + ": Q8_0 needs inFeatures in blocks of "
                    + Q8_0.BLOCK + ", got " + inFeatures);
        }
        long expected = (long) outFeatures * inFeatures * dtype.byteSize()
                + (dtype == DType.Q8_0 ? (long) outFeatures * (inFeatures / Q8_0.BLOCK) * Short.BYTES : 0);
        if (data.byteSize() != expected) {
            throw new IllegalArgumentException("weight matrix " + name + ": " + data.byteSize()
                    + " bytes of data for shape [" + outFeatures + ", " + inFeatures + "] of " + dtype
                    + " (expected " + expected + ")");
        }
        if (chunkBytes != 0 && !canInterleave(dtype, outFeatures, inFeatures, chunkBytes)) {
            throw new IllegalArgumentException("weight matrix " + name + ": shape [" + outFeatures + ", " + inFeatures
                    + "] of " + dtype + " cannot be interleaved " + chunkBytes + " bytes at a time (rows must come in"
                    + " groups of " + GROUP_ROWS + " and a row's bytes be a multiple of the chunk)");
        }
    }

    /** A row-major matrix, as the checkpoint stores it. */
    public WeightMatrix(String name, MemorySegment data, DType dtype, int outFeatures, int inFeatures) {
        this(name, data, dtype, outFeatures, inFeatures, 0);
    }

    /** Whether rows are {@link WeightMatrix interleaved} in groups (else row-major). */
    public boolean interleaved() {
        return chunkBytes != 0;
    }

    /** Whether a matrix of this shape can be interleaved {@code chunkBytes} at a time. */
    public static boolean canInterleave(DType dtype, int outFeatures, int inFeatures, int chunkBytes) {
        return (dtype != DType.Q8_0 || chunkBytes == Q8_0.BLOCK) && chunkBytes > 0 && outFeatures % GROUP_ROWS == 0
                && (long) inFeatures * dtype.byteSize() % chunkBytes == 0;
    }

    /** The byte offset in {@code data} of element {@code [row][col]}, in either layout (no bounds check). */
    public long offset(int row, int col) {
        long inRow = (long) col * dtype.byteSize();
        if (chunkBytes == 0) {
            return row * rowByteStride() + inRow;
        }
        long group = (long) (row / GROUP_ROWS) * GROUP_ROWS * rowByteStride();
        return group + inRow / chunkBytes * GROUP_ROWS * chunkBytes + (long) (row % GROUP_ROWS) * chunkBytes
                + inRow % chunkBytes;
    }

    /** The byte offset in {@code data} of a Q8_0 matrix's f16 scale of {@code [row][block]} (32 values a block). */
    public long scaleOffset(int row, int block) {
        long blocks = inFeatures / Q8_0.BLOCK;
        long index = chunkBytes == 0 ? row * blocks + block
                : (long) (row / GROUP_ROWS) * GROUP_ROWS * blocks + (long) block * GROUP_ROWS + row % GROUP_ROWS;
        return (long) outFeatures * inFeatures + index * Short.BYTES;
    }

    /**
     * This matrix interleaved {@code chunkBytes} at a time, rearranged in place: {@code data} must be writable
     * memory that nothing else reads as row-major any more (weights copied into memory at load). Each group of rows
     * occupies the same bytes in both layouts, so this needs only one group's worth of scratch.
     */
    public WeightMatrix interleaveInPlace(int chunkBytes) {
        if (interleaved()) {
            throw new IllegalStateException("weight matrix " + name + " is already interleaved");
        }
        if (dtype == DType.Q8_0) {
            throw new IllegalArgumentException("weight matrix " + name + ": Q8_0 is interleaved as it is quantized"
                    + " (Q8_0.quantize), not in place");
        }
        if (data.isReadOnly()) {
            throw new IllegalArgumentException("weight matrix " + name + " is read-only (memory-mapped) and cannot be"
                    + " rearranged in place");
        }
        WeightMatrix result = new WeightMatrix(name, data, dtype, outFeatures, inFeatures, chunkBytes);
        long groupBytes = GROUP_ROWS * rowByteStride();
        long chunksPerRow = rowByteStride() / chunkBytes;
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment group = scratch.allocate(groupBytes, 64);
            for (long start = 0; start < data.byteSize(); start += groupBytes) {
                MemorySegment rows = data.asSlice(start, groupBytes);
                group.copyFrom(rows);
                for (long c = 0; c < chunksPerRow; c++) {
                    for (int r = 0; r < GROUP_ROWS; r++) {
                        MemorySegment.copy(group, r * rowByteStride() + c * chunkBytes, rows,
                                (c * GROUP_ROWS + r) * chunkBytes, chunkBytes);
                    }
                }
            }
        }
        return result;
    }

    /** This matrix if row-major, else a row-major copy of it in {@code arena} (for consumers of the plain layout). */
    public WeightMatrix rowMajor(Arena arena) {
        if (!interleaved()) {
            return this;
        }
        MemorySegment copy = arena.allocate(data.byteSize(), 64);
        for (int row = 0; row < outFeatures; row++) {
            for (long b = 0; b < rowByteStride(); b += chunkBytes) {
                MemorySegment.copy(data, offset(row, 0) + b / chunkBytes * GROUP_ROWS * chunkBytes, copy,
                        row * rowByteStride() + b, chunkBytes);
            }
        }
        WeightMatrix plain = new WeightMatrix(name, copy, dtype, outFeatures, inFeatures);
        if (dtype == DType.Q8_0) {
            for (int row = 0; row < outFeatures; row++) {
                for (int block = 0; block < inFeatures / Q8_0.BLOCK; block++) {
                    MemorySegment.copy(data, scaleOffset(row, block), copy, plain.scaleOffset(row, block),
                            Short.BYTES);
                }
            }
        }
        return plain;
    }

    /** The element at {@code [row][col]} widened to float; for tests and debugging, not for hot loops. */
    public float get(int row, int col) {
        Objects.checkIndex(row, outFeatures);
        Objects.checkIndex(col, inFeatures);
        long offset = offset(row, col);
        return switch (dtype) {
            case F32 -> data.get(F32_LE, offset);
            case BF16 -> Float.intBitsToFloat((data.get(U16_LE, offset) & 0xFFFF) << 16);
            case F16 -> Float.float16ToFloat(data.get(U16_LE, offset));
            case Q8_0 -> data.get(ValueLayout.JAVA_BYTE, offset)
                    * Float.float16ToFloat(data.get(U16_LE, scaleOffset(row, col / Q8_0.BLOCK)));
            default -> throw new AssertionError(dtype);
        };
    }

    /** Bytes of one row (in row-major order, also the distance between the starts of consecutive rows). */
    public long rowByteStride() {
        return (long) inFeatures * dtype.byteSize();
    }

    /**
     * A matrix holding {@code values} (row-major, {@code out * in} of them) rounded to {@code dtype}:
     * round-to-nearest-even for BF16 and F16, as PyTorch's {@code .to(dtype)} does; Q8_0 as llama.cpp quantizes.
     */
    public static WeightMatrix ofFloats(String name, float[] values, DType dtype, int out, int in, Arena arena) {
        if ((long) out * in != values.length) {
            throw new IllegalArgumentException("weight matrix " + name + ": " + values.length
                    + " values for shape [" + out + ", " + in + "]");
        }
        if (dtype == DType.Q8_0) {
            return Q8_0.quantize(ofFloats(name, values, DType.F32, out, in, arena), arena);
        }
        MemorySegment data = arena.allocate((long) values.length * dtype.byteSize(), 64);
        for (int i = 0; i < values.length; i++) {
            long offset = (long) i * dtype.byteSize();
            switch (dtype) {
                case F32 -> data.set(F32_LE, offset, values[i]);
                case BF16 -> data.set(U16_LE, offset, floatToBFloat16(values[i]));
                case F16 -> data.set(U16_LE, offset, Float.floatToFloat16(values[i]));
                default -> throw new IllegalArgumentException(
                        "weight matrix " + name + ": element type " + dtype + " is not supported (F32, F16 or BF16)");
            }
        }
        return new WeightMatrix(name, data, dtype, out, in);
    }

    /** The BF16 bits nearest to {@code value}, ties to even; NaN stays a (quiet) NaN. */
    public static short floatToBFloat16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if (Float.isNaN(value)) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        int roundingBias = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }

    /** The float with these BF16 bits (exact). */
    public static float bfloat16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }
}
