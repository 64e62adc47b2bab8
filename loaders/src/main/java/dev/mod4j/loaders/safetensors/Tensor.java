package dev.mod4j.loaders.safetensors;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A tensor of a checkpoint: its header entry and a view of its bytes in the (mapped or copied) file.
 * No bytes are copied to make one; {@link #getFloat} widens F16/BF16 on the fly.
 *
 * @param file the file the tensor lives in, for error messages
 */
public record Tensor(TensorInfo info, MemorySegment data, String file) {
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public String name() {
        return info.name();
    }

    public DType dtype() {
        return info.dtype();
    }

    public long[] shape() {
        return info.shape();
    }

    public long elementCount() {
        return info.elementCount();
    }

    /** Element {@code index} (flat, row-major) widened to float; only for floating-point dtypes. */
    public float getFloat(long index) {
        long offset = index * info.dtype().byteSize();
        return switch (info.dtype()) {
            case F32 -> data.get(F32, offset);
            case F16 -> HalfFloats.f16ToFloat(data.get(I16, offset));
            case BF16 -> HalfFloats.bf16ToFloat(data.get(I16, offset));
            case F64 -> (float) data.get(F64, offset);
            default -> throw new CheckpointFormatException(file + ": " + name(),
                    "dtype " + dtype() + " is not a floating-point type");
        };
    }

    /** Element {@code index} of an integer or bool tensor, widened to long. */
    public long getLong(long index) {
        long offset = index * info.dtype().byteSize();
        return switch (info.dtype()) {
            case BOOL, U8 -> data.get(ValueLayout.JAVA_BYTE, offset) & 0xFFL;
            case I8 -> data.get(ValueLayout.JAVA_BYTE, offset);
            case I16 -> data.get(I16, offset);
            case U16 -> data.get(I16, offset) & 0xFFFFL;
            case I32 -> data.get(I32, offset);
            case U32 -> data.get(I32, offset) & 0xFFFF_FFFFL;
            case I64, U64 -> data.get(I64, offset);
            default -> throw new CheckpointFormatException(file + ": " + name(),
                    "dtype " + dtype() + " is not an integer type");
        };
    }

    /** Copies the whole tensor to a new float array (for small tensors: norms, biases, routers). */
    public float[] toFloatArray() {
        long n = elementCount();
        if (n > Integer.MAX_VALUE - 8) {
            throw new CheckpointFormatException(file + ": " + name(), "too large to copy into a float array: " + n + " elements");
        }
        float[] out = new float[(int) n];
        if (dtype() == DType.F32) {
            MemorySegment.copy(data, F32, 0, out, 0, out.length);
            return out;
        }
        for (int i = 0; i < out.length; i++) {
            out[i] = getFloat(i);
        }
        return out;
    }

    /** Fails with a message naming the tensor unless its shape is exactly {@code expected}. */
    public Tensor requireShape(long... expected) {
        if (!java.util.Arrays.equals(info.shape(), expected)) {
            throw new CheckpointFormatException(file + ": " + name(), "expected shape "
                    + java.util.Arrays.toString(expected) + ", found " + info.shapeString());
        }
        return this;
    }
}
