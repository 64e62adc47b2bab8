package dev.mod4j.golden;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mod4j.loaders.image.ImageDecoder;
import dev.mod4j.loaders.npy.NpyArray;
import dev.mod4j.runtime.generate.Sampler;
import dev.mod4j.runtime.llava.MultimodalModel;
import dev.mod4j.runtime.llava.PreprocessedImage;
import dev.mod4j.runtime.model.Session;
import dev.mod4j.runtime.prompt.PromptRows;
import dev.mod4j.runtime.schedule.GammaModRouter;
import dev.mod4j.runtime.schedule.LayerRecord;
import dev.mod4j.runtime.schedule.Schedules;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static dev.mod4j.loaders.FloatAssertions.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A tiny γ-MoD LLaVA-HR (1024 px image → ConvNeXt slow branch + CLIP fast branch at 448 px with resampled
 * positions, three MR-adapters, final fusion → 1024 image rows) against goldens made by γ-MoD's own
 * {@code MultiPathCLIPVisionTower} and {@code process_images} (tests/golden/generate_llava_hr_golden.py): the
 * preprocessed pixels, the tower's features, and the greedy logits and ids with and without the γ-MoD schedule, from
 * the released file format (pytorch_model.bin, router under every MoD layer) and from a safetensors copy that stores
 * the tied router once.
 */
class LlavaHrGoldenTest {
    private static Path dir;
    private static JsonNode golden;
    private static MultimodalModel model;
    private static PreprocessedImage image;

    @BeforeAll
    static void load() throws Exception {
        dir = Path.of(LlavaHrGoldenTest.class.getResource("/golden/llava-hr/golden.json").toURI()).getParent();
        golden = new ObjectMapper().readTree(dir.resolve("golden.json").toFile());
        model = MultimodalModel.load(dir.resolve("model"));
        image = model.preprocessImage(ImageDecoder.decode(dir.resolve(golden.get("image").asText())));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void imageIsPaddedAndResizedTo1024AsGammaModsProcessImagesDoes() {
        float[] pixels = image.crop(0);
        assertEquals(3 * 1024 * 1024, pixels.length);
        double sum = 0;
        double abs = 0;
        for (float p : pixels) {
            sum += p;
            abs += Math.abs(p);
        }
        assertEquals(golden.get("pixel_abs_sum").asDouble(), abs, 1e-3 * pixels.length * 1e-4);
        assertEquals(golden.get("pixel_sum").asDouble(), sum, 1e-3 * pixels.length * 1e-4);
        for (JsonNode sample : golden.get("pixel_samples")) {
            JsonNode at = sample.get("at");
            int index = (at.get(0).asInt() * 1024 + at.get(1).asInt()) * 1024 + at.get(2).asInt();
            assertEquals(sample.get("value").asDouble(), pixels[index], 1e-5, "pixel " + at);
        }
    }

    @Test
    void multipathTowerFeaturesMatchTheReleasedModule() throws Exception {
        assertEquals(1024, model.rowsPerImage());
        float[] expected = NpyArray.read(dir.resolve("vision_features.npy")).data();
        assertClose(expected, model.visionFeatures(image.crop(0), null), 1e-4f, "multipath tower features");
    }

    @ParameterizedTest
    @CsvSource({"dense, model", "gmod, model", "gmod, model-router-once", "fastv, model", "pdrop, model"})
    void greedyLogitsAndIdsMatchTheReference(String schedule, String modelDir) throws Exception {
        JsonNode g = golden.get("schedules").get(schedule);
        int[] expected = ScheduleGoldenTest.ints(g.get("greedy_new_tokens"));
        float[] steps = NpyArray.read(dir.resolve(schedule + "_greedy_logits.npy")).data();
        MultimodalModel m = modelDir.equals("model") ? model : MultimodalModel.load(dir.resolve(modelDir));
        try {
            if (schedule.equals("gmod")) {
                GammaModRouter router = GammaModRouter.load(m.decoder().files());
                assertEquals(modelDir.equals("model") ? 3 : 1, router.layersWithRouter().size(),
                        "router copies stored");
            }
            PromptRows prompt = m.promptWithImages(ScheduleGoldenTest.ints(golden.get("input_ids")), List.of(image));
            assertEquals(golden.get("merged_length").asInt(), prompt.length());
            Session session = m.decoder().newSession(prompt.length() + expected.length)
                    .schedule(Schedules.create(g.get("spec").asText(), m.decoder().files()));
            float[] logits = session.prefill(prompt, null);
            List<LayerRecord> prefill = session.trace().prefill();
            int[] counts = prefill.stream().mapToInt(LayerRecord::processedCount).toArray();
            assertArrayEquals(ScheduleGoldenTest.ints(g.get("prefill_processed_counts")), counts,
                    schedule + ": rows processed per layer");
            int vocab = m.decoder().config().vocabSize();
            int[] generated = new int[expected.length];
            for (int s = 0; s < generated.length; s++) {
                assertClose(Arrays.copyOfRange(steps, s * vocab, (s + 1) * vocab), logits, 1e-4f,
                        schedule + " on " + modelDir + ", step " + s);
                generated[s] = Sampler.argmax(logits);
                if (s + 1 < generated.length) {
                    logits = session.decode(generated[s]);
                }
            }
            assertArrayEquals(expected, generated, schedule + ": greedy ids");
            for (int l = 0; l < counts.length; l++) {
                assertEquals(g.get("kv_lengths_after_decode").get(l).asInt(), session.cache(l).length(),
                        schedule + ": cache of layer " + l);
            }
        } finally {
            if (m != model) {
                m.close();
            }
        }
    }
}
