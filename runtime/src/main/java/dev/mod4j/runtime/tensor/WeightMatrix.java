package dev.mod4j.runtime.tensor;

import dev.mod4j.loaders.safetensors.DType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * The weight of a HuggingFace {@code nn.Linear}: row-major {@code [outFeatures][inFeatures]}, little-endian,
 * with F32, F16 or BF16 elements that kernels widen to float as they read them.
 *
 * <p>{@code data} is usually a read-only slice of a memory-mapped safetensors file, so it may sit at any
 * offset: only the element size's alignment (2 bytes for F16/BF16, 4 for F32) can be relied on, and the
 * layouts used here are the unaligned ones for that reason. Kernels read it from several threads, so it must
 * come from a shared, global or automatic arena, not a confined one.
 */
public record WeightMatrix(String name, MemorySegment data, DType dtype, int outFeatures, int inFeatures) {

    private static final ValueLayout.OfFloat F32_LE =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16_LE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public WeightMatrix {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(data, "data of " + name);
        Objects.requireNonNull(dtype, "dtype of " + name);
        if (dtype != DType.F32 && dtype != DType.F16 && dtype != DType.BF16) {
            throw new IllegalArgumentException(
                    "weight matrix " + name + ": element type " + dtype + " is not supported (F32, F16 or BF16)");
        }
        if (outFeatures <= 0 || inFeatures <= 0) {
            throw new IllegalArgumentException(
                    "weight matrix " + name + ": shape [" + outFeatures + ", " + inFeatures + "] must be positive");
        }
        long expected = (long) outFeatures * inFeatures * dtype.byteSize();
        if (data.byteSize() != expected) {
            throw new IllegalArgumentException("weight matrix " + name + ": " + data.byteSize()
                    + " bytes of data for shape [" + outFeatures + ", " + inFeatures + "] of " + dtype
                    + " (expected " + expected + ")");
        }
    }

    /** The element at {@code [row][col]} widened to float; for tests and debugging, not for hot loops. */
    public float get(int row, int col) {
        Objects.checkIndex(row, outFeatures);
        Objects.checkIndex(col, inFeatures);
        long offset = ((long) row * inFeatures + col) * dtype.byteSize();
        return switch (dtype) {
            case F32 -> data.get(F32_LE, offset);
            case BF16 -> Float.intBitsToFloat((data.get(U16_LE, offset) & 0xFFFF) << 16);
            case F16 -> Float.float16ToFloat(data.get(U16_LE, offset));
            default -> throw new AssertionError(dtype);
        };
    }

    /** Bytes between the starts of two consecutive rows. */
    public long rowByteStride() {
        return (long) inFeatures * dtype.byteSize();
    }

    /**
     * A matrix holding {@code values} (row-major, {@code out * in} of them) rounded to {@code dtype}:
     * round-to-nearest-even for BF16 and F16, as PyTorch's {@code .to(dtype)} does.
     */
    public static WeightMatrix ofFloats(String name, float[] values, DType dtype, int out, int in, Arena arena) {
        if ((long) out * in != values.length) {
            throw new IllegalArgumentException("weight matrix " + name + ": " + values.length
                    + " values for shape [" + out + ", " + in + "]");
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
