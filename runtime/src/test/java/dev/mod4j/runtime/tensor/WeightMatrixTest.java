package dev.mod4j.runtime.tensor;

import dev.mod4j.loaders.safetensors.DType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WeightMatrixTest {

    @Test
    void rejectsUnsupportedElementTypesNamingTheTensor() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(4 * 4);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new WeightMatrix("layers.0.q_proj.weight", data, DType.I32, 2, 2));
            assertTrue(e.getMessage().contains("layers.0.q_proj.weight"), e.getMessage());
            assertTrue(e.getMessage().contains("I32"), e.getMessage());
        }
    }

    @Test
    void rejectsDataOfTheWrongSize() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(10);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new WeightMatrix("w", data, DType.BF16, 2, 3));
            assertTrue(e.getMessage().contains("w"), e.getMessage());
        }
    }

    @Test
    void interleavingKeepsEveryElementAndRowMajorRestoresTheBytes() {
        int out = 8, in = 96, chunk = 64;
        float[] values = new float[out * in];
        for (int i = 0; i < values.length; i++) {
            values[i] = i * 0.25f - 7f;
        }
        try (Arena arena = Arena.ofConfined()) {
            for (DType dtype : new DType[] {DType.F32, DType.F16, DType.BF16}) {
                WeightMatrix plain = WeightMatrix.ofFloats("w", values, dtype, out, in, arena);
                WeightMatrix interleaved = WeightMatrix.ofFloats("w", values, dtype, out, in, arena)
                        .interleaveInPlace(chunk);
                assertTrue(interleaved.interleaved());
                for (int row = 0; row < out; row++) {
                    for (int col = 0; col < in; col++) {
                        assertEquals(plain.get(row, col), interleaved.get(row, col),
                                dtype + " [" + row + "][" + col + "]");
                    }
                }
                // Row 5 is row 1 of the second group: its chunk 2 comes after chunks 0 and 1 of the group's 4
                // rows and chunk 2 of its row 0.
                int perChunk = chunk / dtype.byteSize();
                long expected = 4L * in * dtype.byteSize() + (2 * 4 + 1) * chunk;
                assertEquals(expected, interleaved.offset(5, 2 * perChunk), dtype.toString());
                assertEquals(-1L, plain.data().mismatch(interleaved.rowMajor(arena).data()), dtype + " round trip");
                assertEquals(-1L, plain.data().mismatch(plain.rowMajor(arena).data()));
            }
        }
    }

    @Test
    void interleavingRejectsShapesReadOnlyMemoryAndASecondPass() {
        try (Arena arena = Arena.ofConfined()) {
            WeightMatrix sixRows = WeightMatrix.ofFloats("model.layers.0.mlp.up_proj.weight", new float[6 * 32],
                    DType.BF16, 6, 32, arena);
            IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                    () -> sixRows.interleaveInPlace(64));
            assertTrue(shape.getMessage().contains("up_proj") && shape.getMessage().contains("[6, 32]"),
                    shape.getMessage());
            WeightMatrix readOnly = new WeightMatrix("head", arena.allocate(4 * 32 * 2).asReadOnly(), DType.BF16, 4,
                    32);
            assertTrue(assertThrows(IllegalArgumentException.class, () -> readOnly.interleaveInPlace(64)).getMessage()
                    .contains("read-only"));
            WeightMatrix once = WeightMatrix.ofFloats("w", new float[4 * 32], DType.BF16, 4, 32, arena)
                    .interleaveInPlace(64);
            assertThrows(IllegalStateException.class, () -> once.interleaveInPlace(64));
        }
    }

    @Test
    void ofFloatsRoundsAndGetWidens() {
        float[] values = {1f, -2.5f, 3.1415927f, 1e-3f, 65504f, -0f};
        try (Arena arena = Arena.ofConfined()) {
            WeightMatrix f32 = WeightMatrix.ofFloats("f32", values, DType.F32, 2, 3, arena);
            WeightMatrix bf16 = WeightMatrix.ofFloats("bf16", values, DType.BF16, 2, 3, arena);
            WeightMatrix f16 = WeightMatrix.ofFloats("f16", values, DType.F16, 2, 3, arena);
            for (int i = 0; i < values.length; i++) {
                int row = i / 3, col = i % 3;
                assertEquals(values[i], f32.get(row, col));
                assertEquals(Float.float16ToFloat(Float.floatToFloat16(values[i])), f16.get(row, col));
                assertEquals(WeightMatrix.bfloat16ToFloat(WeightMatrix.floatToBFloat16(values[i])), bf16.get(row, col));
            }
            assertEquals(3.140625f, bf16.get(0, 2));
        }
    }

    @Test
    void bfloat16RoundsToNearestEven() {
        float halfwayToOdd = Float.intBitsToFloat(0x3F80_8000);   // 1 + 2^-8: between 1.0 (even) and 1.0078125
        float halfwayToEven = Float.intBitsToFloat(0x3F81_8000);  // between 1.0078125 (odd) and 1.015625 (even)
        float justAbove = Float.intBitsToFloat(0x3F80_8001);
        assertEquals(1.0f, WeightMatrix.bfloat16ToFloat(WeightMatrix.floatToBFloat16(halfwayToOdd)));
        assertEquals(1.015625f, WeightMatrix.bfloat16ToFloat(WeightMatrix.floatToBFloat16(halfwayToEven)));
        assertEquals(1.0078125f, WeightMatrix.bfloat16ToFloat(WeightMatrix.floatToBFloat16(justAbove)));
        assertEquals(Float.POSITIVE_INFINITY,
                WeightMatrix.bfloat16ToFloat(WeightMatrix.floatToBFloat16(Float.MAX_VALUE)));
        assertTrue(Float.isNaN(WeightMatrix.bfloat16ToFloat(WeightMatrix.floatToBFloat16(Float.NaN))));
        assertEquals(Float.NEGATIVE_INFINITY,
                WeightMatrix.bfloat16ToFloat(WeightMatrix.floatToBFloat16(Float.NEGATIVE_INFINITY)));
    }
}
