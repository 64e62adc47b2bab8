package dev.mod4j.loaders.arrow;

import dev.mod4j.loaders.safetensors.CheckpointFormatException;
import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.loaders.safetensors.Tensor;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.ForeignAllocation;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.ipc.message.ArrowFieldNode;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Apache Arrow views of checkpoint tensors over the same (mapped) memory: nothing is copied, the Arrow buffer's
 * address is the tensor's address. The checkpoint owns the memory, so releasing the Arrow buffer frees nothing,
 * and the buffer must not be used after the checkpoint is closed.
 */
public final class ArrowTensors {
    private ArrowTensors() {
    }

    /** The tensor's raw bytes as an {@link ArrowBuf} (any dtype). */
    public static ArrowBuf buffer(Tensor tensor, BufferAllocator allocator) {
        return wrap(tensor.data(), allocator);
    }

    /** Wraps any native memory segment (mapped or Arena-allocated) as an ArrowBuf without copying. */
    public static ArrowBuf wrap(MemorySegment segment, BufferAllocator allocator) {
        if (!segment.isNative()) {
            throw new IllegalArgumentException("only native (off-heap or mapped) memory can back an ArrowBuf");
        }
        return allocator.wrapForeignAllocation(new BorrowedMemory(segment));
    }

    /**
     * An F32 tensor as a non-null {@link Float4Vector} of {@code elementCount} values; its data buffer is the tensor's
     * memory (the small validity bitmap is allocated by Arrow). Close the vector when done.
     */
    public static Float4Vector float4Vector(Tensor tensor, BufferAllocator allocator) {
        if (tensor.dtype() != DType.F32) {
            throw new CheckpointFormatException(tensor.file() + ": " + tensor.name(),
                    "a Float4Vector view needs F32 data, tensor is " + tensor.dtype());
        }
        long count = tensor.elementCount();
        if (count > Integer.MAX_VALUE) {
            throw new CheckpointFormatException(tensor.file() + ": " + tensor.name(),
                    "Arrow vectors hold at most 2^31-1 values; tensor has " + count);
        }
        Float4Vector vector = new Float4Vector(tensor.name(), allocator);
        try (ArrowBuf data = buffer(tensor, allocator); ArrowBuf noValidity = allocator.getEmpty()) {
            // null count 0: Arrow builds an all-valid bitmap; the data buffer is retained, not copied.
            vector.loadFieldBuffers(new ArrowFieldNode(count, 0), List.of(noValidity, data));
        }
        return vector;
    }

    /** Memory owned by someone else (the checkpoint's arena): Arrow must not free it. */
    private static final class BorrowedMemory extends ForeignAllocation {
        BorrowedMemory(MemorySegment segment) {
            super(segment.byteSize(), segment.address());
        }

        @Override
        protected void release0() {
            // The owner (a checkpoint's Arena) unmaps or frees the memory when it is closed.
        }
    }
}
