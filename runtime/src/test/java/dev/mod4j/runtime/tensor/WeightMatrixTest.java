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
