package dev.mod4j.golden;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mod4j.loaders.image.ImageDecoder;
import dev.mod4j.loaders.npy.NpyArray;
import dev.mod4j.runtime.generate.Sampler;
import dev.mod4j.runtime.llava.MultimodalModel;
import dev.mod4j.runtime.model.Session;
import dev.mod4j.runtime.prompt.PromptRows;
import dev.mod4j.runtime.schedule.LayerRecord;
import dev.mod4j.runtime.schedule.Schedules;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static dev.mod4j.loaders.FloatAssertions.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * FastV, PyramidDrop and p-MoD (vision_all; its own checkpoint with routers) on the LLaVA-NeXT model (original layout, the 4:3 image: 268 packed image rows, newline rows
 * included) against the independent schedule reference (generate_next_golden.py → generate_schedule_golden's
 * run_schedule on LLaVA's own merged embeddings): rows each layer processed, their positions, cache lengths,
 * step logits and greedy ids, prefill and decode.
 */
class LlavaNextScheduleGoldenTest {
    @ParameterizedTest
    @ValueSource(strings = {"dense", "fastv", "pdrop", "pmod"})
    void scheduleOnTheWholePackedImageBlockMatchesTheReference(String name) throws Exception {
        Path dir = Path.of(LlavaNextScheduleGoldenTest.class.getResource("/golden/next/schedules/" + name + ".json")
                .toURI()).getParent();
        JsonNode g = new ObjectMapper().readTree(dir.resolve(name + ".json").toFile());
        int[] expected = ScheduleGoldenTest.ints(g.get("greedy_new_tokens"));
        float[] steps = NpyArray.read(dir.resolve(name + "_greedy_logits.npy")).data();
        try (MultimodalModel model = MultimodalModel.load(dir.resolve(g.get("model").asText()))) {
            PromptRows prompt = model.promptWithImages(ScheduleGoldenTest.ints(g.get("input_ids")),
                    List.of(model.preprocessImage(ImageDecoder.decode(dir.resolve(g.get("image").asText())))));
            assertEquals(g.get("merged_length").asInt(), prompt.length());
            Session session = model.decoder().newSession(prompt.length() + expected.length)
                    .schedule(Schedules.create(g.get("spec").asText(), model.decoder().files()));
            float[] logits = session.prefill(prompt, null);
            List<LayerRecord> prefill = session.trace().prefill();
            int layers = model.decoder().config().numHiddenLayers();
            for (int l = 0; l < layers; l++) {
                assertArrayEquals(ScheduleGoldenTest.ints(g.get("prefill_processed").get(l)),
                        prefill.get(l).processed(), name + ": rows processed by layer " + l);
                int[] positions = ScheduleGoldenTest.ints(g.get("prefill_positions").get(l));
                for (int e = 0; e < positions.length; e++) {
                    assertEquals(positions[e], session.cache(l).position(e), name + ": layer " + l + " entry " + e);
                }
            }
            int vocab = model.decoder().config().vocabSize();
            int[] generated = new int[expected.length];
            for (int s = 0; s < generated.length; s++) {
                assertClose(Arrays.copyOfRange(steps, s * vocab, (s + 1) * vocab), logits, 1e-4f, name + " step " + s);
                generated[s] = Sampler.argmax(logits);
                if (s + 1 < generated.length) {
                    logits = session.decode(generated[s]);
                }
            }
            assertArrayEquals(expected, generated, name + ": greedy ids");
            for (int l = 0; l < layers; l++) {
                assertEquals(g.get("kv_lengths").get("after_decode").get(l).asInt(), session.cache(l).length(),
                        name + ": cache of layer " + l);
            }
        }
    }
}
