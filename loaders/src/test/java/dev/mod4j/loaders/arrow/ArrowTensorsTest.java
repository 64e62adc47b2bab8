package dev.mod4j.loaders.arrow;

import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.loaders.safetensors.SafetensorsFile;
import dev.mod4j.loaders.safetensors.SafetensorsWriter;
import dev.mod4j.loaders.safetensors.Tensor;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.Float4Vector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ArrowTensorsTest {
    @TempDir
    Path dir;

    @Test
    void arrowBuffersShareTheMappedMemory() throws Exception {
        Path file = dir.resolve("w.safetensors");
        new SafetensorsWriter()
                .addFloats("a", DType.F32, new long[]{2, 3}, new float[]{1, 2, 3, 4, 5, 6})
                .addFloats("b", DType.BF16, new long[]{4}, new float[]{1, -1, 0.5f, 8})
                .write(file);
        try (SafetensorsFile st = SafetensorsFile.open(file);
             BufferAllocator allocator = new RootAllocator()) {
            Tensor a = st.tensor("a");
            try (ArrowBuf buf = ArrowTensors.buffer(a, allocator)) {
                assertEquals(a.data().address(), buf.memoryAddress(), "zero copy: same address");
                assertEquals(24, buf.capacity());
                assertEquals(5f, buf.getFloat(16));
            }
            try (Float4Vector vector = ArrowTensors.float4Vector(a, allocator)) {
                assertEquals(6, vector.getValueCount());
                assertEquals(a.data().address(), vector.getDataBuffer().memoryAddress(), "zero copy: same address");
                assertEquals(0, vector.getNullCount());
                for (int i = 0; i < 6; i++) {
                    assertEquals(i + 1f, vector.get(i));
                }
            }
            Tensor b = st.tensor("b");
            try (ArrowBuf buf = ArrowTensors.buffer(b, allocator)) {
                assertEquals(b.data().address(), buf.memoryAddress());
                assertEquals((short) 0xBF80, buf.getShort(2)); // bf16 -1.0
            }
        }
    }
}
