package dev.mod4j.tornado;

import dev.mod4j.loaders.config.LlamaConfig;
import dev.mod4j.runtime.model.ContextLengthException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The up-front device memory estimate; no device needed. */
class DeviceMemoryPlanTest {
    /** LLaVA-1.5-7B's decoder: 32 layers, hidden 4096, MLP 11008, 32 heads, vocab 32064. */
    private static final LlamaConfig LLAVA_7B = new LlamaConfig(32064, 4096, 11008, 32, 32, 32, 128, "silu", 4096,
            1e-5, 10000.0, null, false, 1, List.of(2), null, false, false, "float16");

    @Test
    void llava7bWeightsAndCacheAreCountedAsTheyAreHeld() {
        DeviceMemoryPlan f16 = DeviceMemoryPlan.of(LLAVA_7B, WeightPrecision.F16, 4096);
        // 6.61 G matrix parameters (the seven projections of 32 layers and lm_head; the embedding table stays on the
        // host) at 2 bytes, plus small float32 vectors.
        assertEquals(6.607e9 * 2, f16.weightBytes(), 0.01e9);
        // 2 (k, v) × 32 layers × 4096 entries × 4096 floats × 4 bytes = 4 GiB.
        assertEquals(4L << 30, f16.kvCacheBytes());
        DeviceMemoryPlan f32 = DeviceMemoryPlan.of(LLAVA_7B, WeightPrecision.F32, 4096);
        assertEquals(2 * f16.weightBytes(), f32.weightBytes(), 1e7);
    }

    @Test
    void aSessionTooLargeForTheDeviceSaysHowMuchItNeeds() {
        DeviceMemoryPlan plan = DeviceMemoryPlan.of(LLAVA_7B, WeightPrecision.F32, 4096);
        var e = assertThrows(ContextLengthException.class,
                () -> plan.requireFits(24L << 30, "NVIDIA GeForce RTX 4090", 4096));
        assertTrue(e.getMessage().startsWith("session: 4096 tokens need 29.45 GiB"), e.getMessage());
        assertTrue(e.getMessage().contains("on NVIDIA GeForce RTX 4090 (weights 24.62 GiB"), e.getMessage());
        assertTrue(e.getMessage().contains("KV cache 4.00 GiB"), e.getMessage());
        assertTrue(e.getMessage().contains("which has 24.00 GiB"), e.getMessage());
        assertDoesNotThrow(() -> plan.requireFits(80L << 30, "NVIDIA H100", 4096));
        assertDoesNotThrow(() -> DeviceMemoryPlan.of(LLAVA_7B, WeightPrecision.F16, 4096)
                .requireFits(24L << 30, "NVIDIA GeForce RTX 4090", 4096));
    }

    @Test
    void rotaryTablesAreSizedByTheSessionNotByTheConfigsMaximum() {
        // A config claiming 2^24 positions (the bound its reader allows) must not plan 2^24 × 128 floats (8 GiB).
        LlamaConfig huge = new LlamaConfig(32064, 4096, 11008, 32, 32, 32, 128, "silu", 1 << 24,
                1e-5, 10000.0, null, false, 1, List.of(2), null, false, false, "float16");
        assertEquals(DeviceMemoryPlan.of(LLAVA_7B, WeightPrecision.F16, 2048).weightBytes(),
                DeviceMemoryPlan.of(huge, WeightPrecision.F16, 2048).weightBytes());
    }
}
