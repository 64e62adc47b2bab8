package dev.mod4j.runtime.tensor;

import dev.mod4j.loaders.safetensors.DType;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Q8_0 quantization against llama.cpp's own: blocks written by gguf-py's Q8_0 (bit-exact with
 * {@code quantize_row_q8_0_ref}), from {@code q8_0/generate.py} beside the test resources.
 */
class Q8_0Test {
    private static final int COLUMNS = 128;

    @Test
    void quantizationGivesLlamaCppsBlocks() throws IOException {
        float[] x = floats(resource("input.f32"));
        byte[] expected = resource("expected.q8_0");
        int rows = x.length / COLUMNS;
        int blocks = COLUMNS / Q8_0.BLOCK;
        assertEquals(rows * blocks * 34, expected.length);
        try (Arena arena = Arena.ofConfined()) {
            for (DType source : new DType[] {DType.F32, DType.BF16}) {
                if (source == DType.BF16) {
                    // Only the last row is exact in BF16; quantizing from BF16 must widen exactly.
                    float[] row = java.util.Arrays.copyOfRange(x, (rows - 1) * COLUMNS, rows * COLUMNS);
                    WeightMatrix w = Q8_0.quantize(WeightMatrix.ofFloats("bf16", row, DType.BF16, 1, COLUMNS, arena),
                            arena);
                    assertBlocks(expected, rows - 1, w, 0, blocks);
                    continue;
                }
                WeightMatrix w = WeightMatrix.ofFloats("golden", x, DType.Q8_0, rows, COLUMNS, arena);
                assertEquals(DType.Q8_0, w.dtype());
                for (int r = 0; r < rows; r++) {
                    assertBlocks(expected, r, w, r, blocks);
                }
            }
        }
    }

    @Test
    void roundfRoundsHalvesAwayFromZero() {
        assertEquals(3, Q8_0.roundHalfAwayFromZero(2.5f));
        assertEquals(-3, Q8_0.roundHalfAwayFromZero(-2.5f));
        assertEquals(0, Q8_0.roundHalfAwayFromZero(0.49999997f));
        assertEquals(-127, Q8_0.roundHalfAwayFromZero(-126.5f));
    }

    @Test
    void elementsAreValueTimesScale() {
        float[] x = new float[2 * 64];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.sin(i) * (i < 64 ? 1 : 1e-3f);
        }
        try (Arena arena = Arena.ofConfined()) {
            WeightMatrix w = WeightMatrix.ofFloats("w", x, DType.Q8_0, 2, 64, arena);
            assertEquals(2L * 64 + 2 * 2 * 2, w.data().byteSize(), "values, then one f16 scale per block");
            for (int r = 0; r < 2; r++) {
                for (int c = 0; c < 64; c++) {
                    float d = Float.float16ToFloat(w.data().get(ValueLayout.JAVA_SHORT_UNALIGNED
                            .withOrder(ByteOrder.LITTLE_ENDIAN), w.scaleOffset(r, c / 32)));
                    assertEquals(w.data().get(ValueLayout.JAVA_BYTE, w.offset(r, c)) * d, w.get(r, c));
                    assertEquals(x[r * 64 + c], w.get(r, c), d / 2 + Math.abs(x[r * 64 + c]) * 1e-3f);
                }
            }
            assertThrows(IllegalArgumentException.class,
                    () -> WeightMatrix.ofFloats("odd", new float[40], DType.Q8_0, 1, 40, arena));
        }
        assertEquals(java.util.Optional.empty(), DType.fromHeaderName("Q8_0"), "never read from a safetensors header");
    }

    @Test
    void rowsInWholeGroupsAreInterleavedOneBlockAtATime() {
        int rows = 2 * WeightMatrix.GROUP_ROWS;
        float[] x = new float[rows * 64];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.cos(i * 0.37) * (1 + i % 7);
        }
        try (Arena arena = Arena.ofConfined()) {
            WeightMatrix grouped = WeightMatrix.ofFloats("grouped", x, DType.Q8_0, rows, 64, arena);
            float[] firstRows = java.util.Arrays.copyOf(x, (rows - 1) * 64);
            WeightMatrix plain = WeightMatrix.ofFloats("plain", firstRows, DType.Q8_0, rows - 1, 64, arena);
            assertEquals(Q8_0.BLOCK, grouped.chunkBytes(), "interleaved a block at a time");
            assertEquals(0, plain.chunkBytes(), "7 rows are no whole groups: row-major");
            // The stream a decode kernel reads: block 0 of rows 0..3, then block 1 of rows 0..3; scales likewise.
            assertEquals(grouped.offset(0, 0) + Q8_0.BLOCK, grouped.offset(1, 0));
            assertEquals(grouped.offset(3, 0) + Q8_0.BLOCK, grouped.offset(0, Q8_0.BLOCK));
            assertEquals(grouped.scaleOffset(3, 0) + Short.BYTES, grouped.scaleOffset(0, 1));
            WeightMatrix unpacked = grouped.rowMajor(arena);
            assertEquals(0, unpacked.chunkBytes());
            assertEquals(-1L, plain.data().asSlice(0, (rows - 1) * 64L)
                    .mismatch(unpacked.data().asSlice(0, (rows - 1) * 64L)), "values, row-major");
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < 64; c++) {
                    assertEquals(unpacked.get(r, c), grouped.get(r, c), "element " + r + ", " + c);
                    if (r < rows - 1) {
                        assertEquals(plain.get(r, c), grouped.get(r, c), "element " + r + ", " + c);
                    }
                }
            }
            assertThrows(IllegalArgumentException.class, () -> plain.interleaveInPlace(Q8_0.BLOCK));
        }
    }

    private static void assertBlocks(byte[] expected, int expectedRow, WeightMatrix w, int row, int blocks) {
        for (int b = 0; b < blocks; b++) {
            int at = (expectedRow * blocks + b) * 34;
            short d = (short) ((expected[at] & 0xFF) | (expected[at + 1] << 8));
            assertEquals(d, w.data().get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN),
                    w.scaleOffset(row, b)), "scale of row " + expectedRow + " block " + b);
            byte[] quants = new byte[Q8_0.BLOCK];
            for (int j = 0; j < Q8_0.BLOCK; j++) {
                quants[j] = w.data().get(ValueLayout.JAVA_BYTE, w.offset(row, b * Q8_0.BLOCK + j));
            }
            assertArrayEquals(java.util.Arrays.copyOfRange(expected, at + 2, at + 34), quants,
                    "values of row " + expectedRow + " block " + b);
        }
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = Objects.requireNonNull(Q8_0Test.class.getResourceAsStream("/q8_0/" + name), name)) {
            return in.readAllBytes();
        }
    }

    private static float[] floats(byte[] bytes) {
        float[] x = new float[bytes.length / 4];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(x);
        return x;
    }
}
