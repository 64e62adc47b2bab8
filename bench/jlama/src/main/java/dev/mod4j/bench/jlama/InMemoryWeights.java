package dev.mod4j.bench.jlama;

import com.github.tjake.jlama.model.DistributedContext;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.safetensors.TensorInfo;
import com.github.tjake.jlama.safetensors.WeightLoader;
import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.BFloat16BufferTensor;
import com.github.tjake.jlama.tensor.FloatBufferTensor;
import com.github.tjake.jlama.tensor.SegmentedTensor;
import com.github.tjake.jlama.util.UnsafeDirectByteBuffer;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;

/**
 * Jlama's memory-mapped safetensors loader with every F32 and BF16 tensor copied out of the mapping into aligned
 * off-heap memory (the same 64-byte aligned direct buffers Jlama allocates its own tensors in), so compute reads
 * ordinary memory, as mod4j's {@code --load copy} does. Other dtypes, and tensors over 2 GB that Jlama
 * splits into segments (neither occurs in these checkpoints), stay mapped.
 */
final class InMemoryWeights implements WeightLoader {
    private final WeightLoader mapped;

    InMemoryWeights(WeightLoader mapped) {
        this.mapped = mapped;
    }

    @Override
    public Map<String, String> metadata() {
        return mapped.metadata();
    }

    @Override
    public Map<String, TensorInfo> tensorInfoMap() {
        return mapped.tensorInfoMap();
    }

    @Override
    public DType getModelDType() {
        return mapped.getModelDType();
    }

    @Override
    public AbstractTensor load(String name, DistributedContext dctx, boolean sparseRows, boolean sparseColumns) {
        AbstractTensor t = mapped.load(name, dctx, sparseRows, sparseColumns);
        if (t instanceof SegmentedTensor || (t.dType() != DType.F32 && t.dType() != DType.BF16)) {
            return t;
        }
        MemorySegment source = t.getMemorySegment();
        ByteBuffer copy = UnsafeDirectByteBuffer.allocateAlignedByteBuffer(Math.toIntExact(source.byteSize()),
                UnsafeDirectByteBuffer.CACHE_LINE_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        MemorySegment.ofBuffer(copy).copyFrom(source);
        return t.dType() == DType.F32
                ? new FloatBufferTensor(name, copy.asFloatBuffer(), t.shape(), true)
                : new BFloat16BufferTensor(name, copy.asShortBuffer(), t.shape(), true);
    }

    @Override
    public void close() throws Exception {
        mapped.close();
    }
}
