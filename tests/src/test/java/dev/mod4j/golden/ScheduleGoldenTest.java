package dev.mod4j.golden;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mod4j.loaders.npy.NpyArray;
import dev.mod4j.runtime.generate.Sampler;
import dev.mod4j.runtime.llava.MultimodalModel;
import dev.mod4j.runtime.prompt.PromptRows;
import dev.mod4j.runtime.model.Session;
import dev.mod4j.runtime.schedule.LayerRecord;
import dev.mod4j.runtime.schedule.Phase;
import dev.mod4j.runtime.schedule.Schedules;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static dev.mod4j.loaders.FloatAssertions.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every schedule against an independent PyTorch implementation of it (tests/golden/generate_schedule_golden.py):
 * the tokens each layer processed in prefill, which layers processed each decoded token, rotary positions, cache
 * lengths, the logits of every step (prefill and decoding with the ragged caches) and the greedy tokens.
 */
class ScheduleGoldenTest {
    @ParameterizedTest
    @ValueSource(strings = {"dense", "fastv", "pdrop", "gmod", "gmod-skip", "pmod", "dart", "divprune", "visionzip"})
    void scheduleMatchesTheReference(String name) throws Exception {
        Path dir = Path.of(ScheduleGoldenTest.class.getResource("/golden/schedules/" + name + ".json").toURI()).getParent();
        JsonNode g = new ObjectMapper().readTree(dir.resolve(name + ".json").toFile());
        float[] pixels = NpyArray.read(dir.resolve(g.get("pixel_values").asText())).data();
        int[] ids = ints(g.get("input_ids"));
        int[] expectedTokens = ints(g.get("greedy_new_tokens"));
        NpyArray stepLogits = NpyArray.read(dir.resolve(name + "_greedy_logits.npy"));
        try (MultimodalModel model = MultimodalModel.load(dir.resolve(g.get("model").asText()))) {
            PromptRows prompt = model.prompt(ids, List.of(pixels));
            int vocab = model.decoder().config().vocabSize();
            Session session = model.decoder().newSession(prompt.length() + expectedTokens.length)
                    .schedule(Schedules.create(g.get("spec").asText(), model.decoder().files()));
            float[] logits = session.prefill(prompt, null);
            int layers = model.decoder().config().numHiddenLayers();
            List<LayerRecord> prefill = session.trace().prefill();
            for (int l = 0; l < layers; l++) {
                assertArrayEquals(ints(g.get("prefill_processed").get(l)), prefill.get(l).processed(),
                        name + ": tokens processed by layer " + l);
                assertEquals(g.get("kv_lengths").get("after_prefill").get(l).asInt(), session.cache(l).length(),
                        name + ": cache of layer " + l + " after prefill");
                int[] positions = ints(g.get("prefill_positions").get(l));
                for (int e = 0; e < positions.length; e++) {
                    assertEquals(positions[e], session.cache(l).position(e), name + ": position of entry " + e
                            + " in layer " + l);
                }
            }
            int[] generated = new int[expectedTokens.length];
            for (int step = 0; step < generated.length; step++) {
                assertClose(Arrays.copyOfRange(stepLogits.data(), step * vocab, (step + 1) * vocab), logits, 1e-4f,
                        name + ": logits at step " + step);
                generated[step] = Sampler.argmax(logits);
                if (step + 1 < generated.length) {
                    logits = session.decode(generated[step]);
                    int decodeStep = step + 1;
                    List<Integer> processedBy = new ArrayList<>();
                    for (LayerRecord r : session.trace().records()) {
                        if (r.phase() == Phase.DECODE && r.step() == decodeStep && r.processedCount() == 1) {
                            processedBy.add(r.layer());
                        }
                    }
                    assertEquals(g.get("decode_processed").get(step).toString(), processedBy.toString().replace(" ", ""),
                            name + ": layers that processed decode step " + decodeStep);
                }
            }
            assertArrayEquals(expectedTokens, generated, name + ": greedy tokens");
            for (int l = 0; l < layers; l++) {
                assertEquals(g.get("kv_lengths").get("after_decode").get(l).asInt(), session.cache(l).length(),
                        name + ": cache of layer " + l + " after decoding");
            }
        }
    }

    static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }
}
