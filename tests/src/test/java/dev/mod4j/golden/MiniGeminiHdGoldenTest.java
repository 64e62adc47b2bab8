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
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static dev.mod4j.loaders.FloatAssertions.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A tiny γ-MoD Mini-Gemini-HD (image_size_aux 768 → CLIP-336 over a 2×2 grid of the 672 px resize plus a global view,
 * ConvNeXt auxiliary tower, patch info mining → 5 × 576 = 2,880 image rows) against goldens made by MGM's own
 * {@code encode_images} / {@code unified_resampler}, towers and view code as γ-MoD ships them
 * (tests/golden/generate_mgm_hd_golden.py): the preprocessed pixels, the mined features, and the greedy logits and
 * ids of dense, γ-MoD, FastV and PyramidDrop, from the released file format (safetensors, router under every MoD layer).
 */
class MiniGeminiHdGoldenTest {
    private static Path dir;
    private static JsonNode golden;
    private static MultimodalModel model;
    private static PreprocessedImage image;
    /** The merged prompt, made once: the vision side is the slow part, and every schedule starts from the same rows. */
    private static PromptRows prompt;

    @BeforeAll
    static void load() throws Exception {
        dir = Path.of(MiniGeminiHdGoldenTest.class.getResource("/golden/mgm-hd/golden.json").toURI()).getParent();
        golden = new ObjectMapper().readTree(dir.resolve("golden.json").toFile());
        model = MultimodalModel.load(dir.resolve("model"));
        image = model.preprocessImage(ImageDecoder.decode(dir.resolve(golden.get("image").asText())));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void imageIsPaddedAndResizedToImageSizeAuxAsMgmsLoaderDoes() {
        int side = golden.get("image_size_aux").asInt();
        float[] pixels = image.crop(0);
        assertEquals(3 * side * side, pixels.length);
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
            int index = (at.get(0).asInt() * side + at.get(1).asInt()) * side + at.get(2).asInt();
            assertEquals(sample.get("value").asDouble(), pixels[index], 1e-5, "pixel " + at);
        }
    }

    @Test
    void minedFeaturesOfTheFiveViewsMatchTheReleasedCode() throws Exception {
        assertEquals(2880, model.rowsPerImage());
        float[] expected = NpyArray.read(dir.resolve("vision_features.npy")).data();
        assertClose(expected, model.visionFeatures(image.crop(0), null), 1e-4f, "Mini-Gemini-HD image features");
    }

    @ParameterizedTest
    @ValueSource(strings = {"dense", "gmod", "fastv", "pdrop"})
    void greedyLogitsAndIdsMatchTheReference(String schedule) throws Exception {
        JsonNode g = golden.get("schedules").get(schedule);
        int[] expected = ScheduleGoldenTest.ints(g.get("greedy_new_tokens"));
        float[] steps = NpyArray.read(dir.resolve(schedule + "_greedy_logits.npy")).data();
        if (schedule.equals("gmod")) {
            assertEquals(3, GammaModRouter.load(model.decoder().files()).layersWithRouter().size(), "router copies");
        }
        if (prompt == null) {
            prompt = model.promptWithImages(ScheduleGoldenTest.ints(golden.get("input_ids")), List.of(image));
        }
        assertEquals(golden.get("merged_length").asInt(), prompt.length());
        Session session = model.decoder().newSession(prompt.length() + expected.length)
                .schedule(Schedules.create(g.get("spec").asText(), model.decoder().files()));
        float[] logits = session.prefill(prompt, null);
        List<LayerRecord> prefill = session.trace().prefill();
        int[] counts = prefill.stream().mapToInt(LayerRecord::processedCount).toArray();
        assertArrayEquals(ScheduleGoldenTest.ints(g.get("prefill_processed_counts")), counts,
                schedule + ": rows processed per layer");
        int vocab = model.decoder().config().vocabSize();
        int[] generated = new int[expected.length];
        for (int s = 0; s < generated.length; s++) {
            assertClose(Arrays.copyOfRange(steps, s * vocab, (s + 1) * vocab), logits, 1e-4f,
                    schedule + ", step " + s);
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
    }
}
