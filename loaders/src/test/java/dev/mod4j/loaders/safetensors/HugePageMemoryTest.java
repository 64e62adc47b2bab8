package dev.mod4j.loaders.safetensors;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HugePageMemoryTest {
    private static final long MIB = 1L << 20;

    @Test
    void memoryIsZeroedWritableAlignedAndUnmappedWhenTheArenaCloses() throws IOException {
        long size = 5 * MIB + 123;
        Arena arena = Arena.ofShared();
        MemorySegment memory = HugePageMemory.allocate(arena, size);
        assertEquals(size, memory.byteSize());
        for (long i = 0; i < size; i += 4096) {
            assertEquals(0, memory.get(ValueLayout.JAVA_BYTE, i));
        }
        memory.set(ValueLayout.JAVA_BYTE, size - 1, (byte) 7);
        assertEquals(7, memory.get(ValueLayout.JAVA_BYTE, size - 1));
        boolean linux = Files.isReadable(Path.of("/proc/self/maps"));
        if (linux) {
            assertEquals(0, memory.address() % (2 * MIB), "huge-page aligned");
            assertTrue(isMapped(memory.address()));
        }
        long address = memory.address();
        arena.close();
        assertThrows(IllegalStateException.class, () -> memory.get(ValueLayout.JAVA_BYTE, 0));
        if (linux) {
            assertFalse(isMapped(address), "unmapped after close");
        }
    }

    @Test
    void copiedCheckpointsReadTheSameBytesAsMappedOnes(@org.junit.jupiter.api.io.TempDir Path dir) {
        float[] values = new float[3 * 1024 * 1024]; // 12 MiB: several huge pages
        for (int i = 0; i < values.length; i++) {
            values[i] = i * 0.5f;
        }
        Path file = dir.resolve("model.safetensors");
        new SafetensorsWriter()
                .add(SafetensorsWriter.TensorData.ofFloats("w", DType.F32, new long[] {3, 1024 * 1024}, values))
                .write(file);
        try (SafetensorsFile mapped = SafetensorsFile.open(file, LoadMode.MMAP);
             SafetensorsFile copied = SafetensorsFile.open(file, LoadMode.COPY)) {
            assertEquals(-1, mapped.segment().mismatch(copied.segment()));
            assertEquals(values[values.length - 1], copied.tensor("w").getFloat(values.length - 1));
        }
    }

    private static boolean isMapped(long address) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
            String[] range = line.substring(0, line.indexOf(' ')).split("-");
            if (Long.parseUnsignedLong(range[0], 16) <= address && address < Long.parseUnsignedLong(range[1], 16)) {
                return true;
            }
        }
        return false;
    }
}
