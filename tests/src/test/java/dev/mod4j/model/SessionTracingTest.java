package dev.mod4j.model;

import dev.mod4j.runtime.model.LlamaModel;
import dev.mod4j.runtime.model.Session;
import dev.mod4j.runtime.schedule.FastVSchedule;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The routing trace is optional: off, nothing is recorded and the logits are the same to the bit. */
class SessionTracingTest {
    @Test
    void aSessionWithoutTracingComputesTheSameLogitsAndRecordsNothing() throws Exception {
        Path dir = Path.of(getClass().getResource("/golden/llama-gqa-f32/config.json").toURI()).getParent();
        int[] prompt = {1, 5, 9, 13, 17, 21, 25, 29};
        try (LlamaModel model = LlamaModel.load(dir)) {
            Session traced = model.newSession(prompt.length + 2).schedule(new FastVSchedule(1, 0.5));
            Session quiet = model.newSession(prompt.length + 2).schedule(new FastVSchedule(1, 0.5)).tracing(false);
            assertArrayEquals(traced.prefill(prompt, null).clone(), quiet.prefill(prompt, null).clone());
            assertArrayEquals(traced.decode(3).clone(), quiet.decode(3).clone());
            int layers = model.config().numHiddenLayers();
            assertEquals(2 * layers, traced.trace().records().size(), "a prefill and a decode step, every layer");
            assertTrue(quiet.trace().records().isEmpty());
            assertThrows(IllegalStateException.class, () -> quiet.tracing(true), "not in the middle of a request");
        }
    }
}
