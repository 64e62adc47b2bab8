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
 * DART and VisionZip on the LLaVA-NeXT model (original layout, the 4:3 image: 5 crops, 268 packed image rows)
 * against references written from their released code (generate_next_reduction_golden.py): DART's LLaVA-1.6 path
 * ranks the whole packed block (newline rows included) and caps its picks at the image rows less the image pivots
 * ({@code dart-default}: retain 320 keeps all 268); VisionZip reduces every crop and packs them as its
 * {@code restore_image_features_sorted} does (the patch each prompt row stands for is checked). Rows each layer
 * processed, their positions, step logits within 1e-4 and greedy ids, prefill and decode.
 */
class LlavaNextReductionGoldenTest {
    @ParameterizedTest
    @ValueSource(strings = {"dart", "dart-default", "visionzip"})
    void reductionOnTheNextModelMatchesTheReleasedCodesReference(String name) throws Exception {
        Path dir = Path.of(LlavaNextReductionGoldenTest.class.getResource("/golden/next/reductions/" + name
                + ".json").toURI()).getParent();
        JsonNode g = new ObjectMapper().readTree(dir.resolve(name + ".json").toFile());
        int[] expected = ScheduleGoldenTest.ints(g.get("greedy_new_tokens"));
        float[] steps = NpyArray.read(dir.resolve(name + "_greedy_logits.npy")).data();
        try (MultimodalModel model = MultimodalModel.load(dir.resolve(g.get("model").asText()))) {
            PromptRows prompt = model.promptWithImages(ScheduleGoldenTest.ints(g.get("input_ids")),
                    List.of(model.preprocessImage(ImageDecoder.decode(dir.resolve(g.get("image").asText())))));
            assertEquals(g.get("image_start").asInt() + g.get("packed_image_rows").asInt()
                    + g.get("input_ids").size() - g.get("image_start").asInt() - 1, prompt.length());
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
            if (g.has("patch_of_image_row")) {
                assertArrayEquals(ScheduleGoldenTest.ints(g.get("patch_of_image_row")),
                        session.trace().towerPatchOfImageRow(), name + ": crop · p² + patch of each image row");
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
