package dev.mod4j.tornado;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mod4j.loaders.image.ImageDecoder;
import dev.mod4j.loaders.npy.NpyArray;
import dev.mod4j.loaders.safetensors.LoadMode;
import dev.mod4j.runtime.backend.Backends;
import dev.mod4j.loaders.config.MiniGeminiConfig;
import dev.mod4j.loaders.config.ModelConfig;
import dev.mod4j.loaders.layout.CheckpointLayout;
import dev.mod4j.runtime.cpu.CpuLlavaHrEncoder;
import dev.mod4j.runtime.cpu.CpuMiniGeminiEncoder;
import dev.mod4j.runtime.weights.ConvNextWeights;
import dev.mod4j.runtime.weights.PatchInfoMiningWeights;
import dev.mod4j.runtime.llava.MultimodalModel;
import dev.mod4j.runtime.model.Session;
import dev.mod4j.runtime.prompt.PromptRows;
import dev.mod4j.runtime.schedule.Schedules;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.mod4j.loaders.FloatAssertions.assertClose;
import static dev.mod4j.tornado.TornadoTestSupport.LOGIT_TOLERANCE;
import static dev.mod4j.tornado.TornadoTestSupport.argmax;
import static dev.mod4j.tornado.TornadoTestSupport.maxAbsDiff;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * γ-MoD's own models on the device against the CPU backend, on the tiny golden LLaVA-HR and Mini-Gemini-HD of the
 * tests module (tests/golden/generate_llava_hr_golden.py, generate_mgm_hd_golden.py: the real layouts and file
 * formats, small widths): the vision features (LLaVA-HR: ConvNeXt slow branch, CLIP fast branch in four groups with
 * MR-adapters, fusion; MGM-HD: CLIP over five views and the auxiliary ConvNeXt on the device, patch info mining on the
 * host) within {@link #FEATURE_TOLERANCE} of the largest feature, and within the CPU's own 1e-4 of the PyTorch
 * reference's; the backend's counters showing the ConvNeXt and the CLIP layers ran on the device; and the prompt
 * with its image, dense and under γ-MoD, giving the CPU backend's logits (1e-3) and the reference's greedy ids.
 */
class TornadoHighResolutionTest {
    /** Vision features of the two backends agree within this, relative to the largest |feature|. */
    static final float FEATURE_TOLERANCE = 1e-5f;

    private static final Map<String, MultimodalModel[]> MODELS = new HashMap<>();

    @BeforeEach
    void needsTornadoVm() {
        TornadoTestSupport.assumeTornadoVm();
    }

    @AfterAll
    static void close() {
        MODELS.values().forEach(pair -> {
            pair[0].close();
            pair[1].close();
        });
    }

    /** The CPU and the TornadoVM model of golden/{@code name}/model, loaded once for all tests. */
    private static MultimodalModel[] models(String name) {
        return MODELS.computeIfAbsent(name, n -> {
            Path dir = TornadoTestSupport.golden(n).resolve("model");
            MultimodalModel cpu = MultimodalModel.load(dir, null, LoadMode.MMAP, Backends.factory("cpu", null));
            return new MultimodalModel[]{cpu, MultimodalModel.load(dir, null, LoadMode.MMAP,
                    Backends.factory("tornadovm", null))};
        });
    }

    private static JsonNode golden(String name) throws IOException {
        return new ObjectMapper().readTree(TornadoTestSupport.golden(name).resolve("golden.json").toFile());
    }

    private static float[] pixels(String name, MultimodalModel model) throws IOException {
        Path dir = TornadoTestSupport.golden(name);
        return model.preprocessImage(ImageDecoder.decode(dir.resolve(golden(name).get("image").asText()))).crop(0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"llava-hr", "mgm-hd"})
    void visionFeaturesMatchTheCpuBackendAndTheReference(String name) throws IOException {
        MultimodalModel[] m = models(name);
        TornadoBackend backend = (TornadoBackend) m[1].decoder().backend();
        float[] pixels = pixels(name, m[0]);
        long convNextBefore = backend.convNextImagesRun();
        long layersBefore = backend.encoderLayersRun();
        float[] cpu = m[0].visionFeatures(pixels, null);
        float[] device = m[1].visionFeatures(pixels, null);
        float largest = 0;
        for (float v : cpu) {
            largest = Math.max(largest, Math.abs(v));
        }
        System.out.printf("[tornadovm] %s: %d feature rows, max |cpu - tornadovm| = %.3g (max |cpu| %.3g) on %s%n",
                name, m[1].rowsPerImage(), maxAbsDiff(cpu, device), largest, backend.name());
        assertClose(cpu, device, FEATURE_TOLERANCE * Math.max(largest, 1f), name + ": features vs the CPU backend");
        float[] reference = NpyArray.read(TornadoTestSupport.golden(name).resolve("vision_features.npy")).data();
        assertClose(reference, device, 1e-4f, name + ": features vs the released PyTorch code");
        assertEquals(1, backend.convNextImagesRun() - convNextBefore, name + ": ConvNeXt trunk runs on the device");
        int layers = m[1].visionConfig().numHiddenLayers();
        // LLaVA-HR's fast branch runs every layer once; MGM-HD runs the tower up to its feature layer over 5 views.
        long expectedLayers = name.equals("llava-hr") ? layers
                : 5L * (layers + 1 + m[1].multimodalConfig().visionFeatureLayer());
        assertEquals(expectedLayers, backend.encoderLayersRun() - layersBefore, name + ": CLIP layers on the device");
    }

    /** LLaVA-HR's named intermediate results (slow map, fast embeddings, each group with its adapter) as the CPU's. */
    @Test
    void llavaHrIntermediateResultsMatchTheCpuEncoder() throws IOException {
        MultimodalModel[] m = models("llava-hr");
        float[] pixels = pixels("llava-hr", m[0]);
        Map<String, float[]> cpu = new LinkedHashMap<>();
        Map<String, float[]> device = new LinkedHashMap<>();
        ((CpuLlavaHrEncoder) m[0].highResolutionEncoder()).features(pixels, cpu::put);
        ((TornadoLlavaHrEncoder) m[1].highResolutionEncoder()).features(pixels, device::put);
        assertEquals(cpu.keySet(), device.keySet());
        for (String part : cpu.keySet()) {
            float largest = 0;
            for (float v : cpu.get(part)) {
                largest = Math.max(largest, Math.abs(v));
            }
            System.out.printf("[tornadovm] llava-hr %s: max |cpu - tornadovm| = %.3g (max |cpu| %.3g)%n", part,
                    maxAbsDiff(cpu.get(part), device.get(part)), largest);
        }
        for (String part : cpu.keySet()) {
            float largest = 0;
            for (float v : cpu.get(part)) {
                largest = Math.max(largest, Math.abs(v));
            }
            assertClose(cpu.get(part), device.get(part), FEATURE_TOLERANCE * Math.max(largest, 1f), "llava-hr " + part);
        }
    }

    /**
     * Patch info mining in chunks of 5 rows of tokens (the last one of 4 rows), as real shapes are mined (a whole
     * view's windows of MGM-HD-7B would be 425 MB), gives the features of one chunk per view.
     */
    @Test
    void miniGeminiMiningInChunksOfTokenRowsGivesTheSameFeatures() throws IOException {
        MultimodalModel[] m = models("mgm-hd");
        float[] pixels = pixels("mgm-hd", m[0]);
        float[] whole = m[1].visionFeatures(pixels, null);
        ModelConfig config = m[1].decoder().files().config();
        MiniGeminiConfig mgm = MiniGeminiConfig.read(config);
        ConvNextWeights aux = ConvNextWeights.load(m[1].decoder().files().language(),
                CheckpointLayout.MINI_GEMINI_AUX_PREFIX);
        PatchInfoMiningWeights mining = PatchInfoMiningWeights.load(m[1].decoder().files().language(),
                CheckpointLayout.MINI_GEMINI_MINING_PREFIX, config.vision().hiddenSize(),
                Arrays.stream(aux.widths()).sum());
        int layers = config.vision().numHiddenLayers();
        int index = layers + 1 + config.multimodal().visionFeatureLayer();
        var shape = CpuMiniGeminiEncoder.MiningShape.of(mgm, config.vision(), aux, mining);
        int perSide = config.vision().patchesPerSide();
        long tokenRow = (long) perSide * shape.window() * shape.window() * shape.auxWidth();
        TornadoMiniGeminiEncoder chunked = ((TornadoVisionEncoder) m[1].decoder().backend().vision())
                .miniGemini(mgm, index, aux, mining, 5 * tokenRow);
        float[] features = chunked.features(pixels);
        System.out.printf("[tornadovm] mgm-hd mined in chunks of 5 of %d token rows: max |one chunk - chunks| = %.3g%n",
                perSide, maxAbsDiff(whole, features));
        assertClose(whole, features, 0f, "mgm-hd features mined in chunks");
    }

    @ParameterizedTest
    @CsvSource({"llava-hr, dense", "llava-hr, gmod", "mgm-hd, dense", "mgm-hd, gmod"})
    void promptWithTheImageGivesTheCpuBackendsLogitsAndTheReferenceIds(String name, String schedule)
            throws IOException {
        MultimodalModel[] m = models(name);
        JsonNode golden = golden(name);
        JsonNode g = golden.get("schedules").get(schedule);
        int[] ids = ints(golden.get("input_ids"));
        int[] expected = ints(g.get("greedy_new_tokens"));
        float[] pixels = pixels(name, m[0]);
        PromptRows cpuPrompt = m[0].prompt(ids, List.of(pixels));
        PromptRows devicePrompt = m[1].prompt(ids, List.of(pixels));
        assertEquals(golden.get("merged_length").asInt(), devicePrompt.length());
        Session cs = m[0].decoder().newSession(cpuPrompt.length() + expected.length)
                .schedule(Schedules.create(g.get("spec").asText(), m[0].decoder().files()));
        Session ts = m[1].decoder().newSession(devicePrompt.length() + expected.length)
                .schedule(Schedules.create(g.get("spec").asText(), m[1].decoder().files()));
        float[] cl = cs.prefill(cpuPrompt, null).clone();
        float[] tl = ts.prefill(devicePrompt, null).clone();
        float worst = 0;
        for (int step = 0; step < expected.length; step++) {
            worst = Math.max(worst, maxAbsDiff(cl, tl));
            assertClose(cl, tl, LOGIT_TOLERANCE, name + " " + schedule + ": logits at step " + step);
            int next = argmax(tl);
            assertEquals(argmax(cl), next, name + " " + schedule + ": greedy token at step " + step);
            assertEquals(expected[step], next, name + " " + schedule + ": greedy token vs the reference");
            if (step + 1 < expected.length) {
                cl = cs.decode(next).clone();
                tl = ts.decode(next).clone();
            }
        }
        assertTrue(((TornadoBackend) m[1].decoder().backend()).convNextImagesRun() > 0);
        System.out.printf("[tornadovm] %s %s: prompt of %d rows, max |cpu - tornadovm| over %d steps' logits = %.3g%n",
                name, schedule, devicePrompt.length(), expected.length, worst);
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }
}
