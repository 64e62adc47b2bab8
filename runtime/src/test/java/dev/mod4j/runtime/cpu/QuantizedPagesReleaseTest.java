package dev.mod4j.runtime.cpu;

import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.runtime.tensor.Linear;
import dev.mod4j.runtime.tensor.WeightMatrix;
import dev.mod4j.runtime.weights.DecoderLayerWeights;
import dev.mod4j.runtime.weights.LlamaWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code --weights q8_0} over a memory-mapped checkpoint: once a matrix is quantized, the file's pages leave the
 * process's resident memory (so memory holds the 8-bit copy, not both), and the source still reads right.
 * Resident memory is read from {@code /proc/self/smaps} for the file's own mapping (Linux only).
 */
class QuantizedPagesReleaseTest {
    private static final int SIDE = 1024;
    private static final int MATRICES = 8;

    @Test
    void mappedSourcePagesAreReleasedOnceQuantized(@TempDir Path dir) throws IOException {
        assumeTrue(Files.isReadable(Path.of("/proc/self/smaps")), "needs Linux's /proc/self/smaps");
        long matrixBytes = (long) SIDE * SIDE * 2;
        Path file = dir.resolve("weights.bin");
        byte[] bytes = new byte[(int) (matrixBytes * MATRICES)];
        Random random = new Random(7);
        for (int i = 0; i < bytes.length; i += 2) {
            // BF16 values of magnitude about 1 (exponent bits 0x3F), random sign and mantissa.
            bytes[i] = (byte) random.nextInt();
            bytes[i + 1] = (byte) (0x3F | (random.nextBoolean() ? 0x80 : 0));
        }
        Files.write(file, bytes);
        try (Arena arena = Arena.ofShared();
             FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, bytes.length, arena);
            WeightMatrix[] m = new WeightMatrix[MATRICES];
            for (int i = 0; i < MATRICES; i++) {
                m[i] = new WeightMatrix("m" + i, mapped.asSlice(i * matrixBytes, matrixBytes), DType.BF16, SIDE, SIDE);
            }
            mapped.load(); // every page resident, as after a first forward pass
            long before = residentKilobytes(file);
            assertTrue(before > (long) bytes.length / 1024 / 2, "the mapping is resident once read: " + before + " kB");
            float source = m[3].get(5, 17);

            DecoderLayerWeights layer = new DecoderLayerWeights(0, new float[SIDE], new Linear(m[0], null),
                    new Linear(m[1], null), new Linear(m[2], null), new Linear(m[3], null), new float[SIDE],
                    new Linear(m[4], null), new Linear(m[5], null), new Linear(m[6], null));
            WeightMatrix embed = WeightMatrix.ofFloats("embed", new float[4 * SIDE], DType.F32, 4, SIDE, arena);
            LlamaWeights quantized = CpuBackend.prepare(new LlamaWeights(embed, List.of(layer), new float[SIDE], m[7]),
                    DType.Q8_0);

            long after = residentKilobytes(file);
            assertTrue(after < 256, "the file's pages are given back once quantized: " + after + " kB resident of "
                    + bytes.length / 1024 + " (" + before + " before)");
            assertEquals(DType.Q8_0, quantized.layers().getFirst().oProj().weight().dtype());
            assertEquals(DType.Q8_0, quantized.lmHead().dtype());
            // A later read of the source faults the file's bytes in again: the same value.
            assertEquals(source, m[3].get(5, 17));
            float q = quantized.layers().getFirst().oProj().weight().get(5, 17);
            assertTrue(Math.abs(q - source) <= Math.abs(source) / 60 + 1e-3f, q + " quantizes " + source);
        }
    }

    /** The {@code Rss} of {@code file}'s mappings in this process, in kB. */
    private static long residentKilobytes(Path file) throws IOException {
        String name = file.toRealPath().toString();
        long total = 0;
        boolean inFile = false;
        for (String line : Files.readAllLines(Path.of("/proc/self/smaps"))) {
            if (line.matches("^[0-9a-f]+-[0-9a-f]+ .*")) {
                inFile = line.endsWith(" " + name);
            } else if (inFile && line.startsWith("Rss:")) {
                total += Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return total;
    }
}
