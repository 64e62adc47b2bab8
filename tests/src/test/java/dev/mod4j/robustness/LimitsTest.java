package dev.mod4j.robustness;

import dev.mod4j.loaders.config.LlamaConfig;
import dev.mod4j.runtime.backend.LayerKvCache;
import dev.mod4j.runtime.cpu.CpuBackend;
import dev.mod4j.runtime.model.ContextLengthException;
import dev.mod4j.runtime.model.LlamaModel;
import dev.mod4j.runtime.model.Session;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static dev.mod4j.loaders.MessageAssertions.assertMentions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Limits are checked up front with a message that says what is needed. */
class LimitsTest {
    @Test
    void sessionMemoryIsEstimatedFromTheShape() {
        // LLaVA-1.5-7B: 32 layers × 4096 × 2 (K, V) × 4 bytes = 1 MiB of float32 KV per token.
        LlamaConfig llava7b = new LlamaConfig(32000, 4096, 11008, 32, 32, 32, 128, "silu", 4096, 1e-5, 10000.0, null,
                false, 1, List.of(2), null, false, false, "float16");
        long perToken = sessionHeapBytes(llava7b, 1001) - sessionHeapBytes(llava7b, 1000);
        assertEquals(1L << 20, perToken - (4L * 4096 + 2 * 4096 + 2 * 4096 + 2 * 11008) * 4);
    }

    /** What a CPU session allocates on the heap: the host KV caches and the stream's buffers. */
    private static long sessionHeapBytes(LlamaConfig config, int capacity) {
        return LayerKvCache.heapBytes(config, capacity) + CpuBackend.streamHeapBytes(config, capacity);
    }

    @Test
    void promptsBeyondTheContextAreRefused() throws Exception {
        Path dir = Path.of(getClass().getResource("/golden/llama-gqa-f32/config.json").toURI()).getParent();
        try (LlamaModel model = LlamaModel.load(dir)) {
            assertMentions(assertThrows(ContextLengthException.class, () -> model.newSession(257)).getMessage(),
                    "257 tokens exceed the model's context of 256");
            Session session = model.newSession(4);
            assertMentions(assertThrows(ContextLengthException.class, () -> session.prefill(new int[]{1, 2, 3, 4, 5},
                    null)).getMessage(), "5 tokens do not fit", "capacity of 4");
        }
    }
}
