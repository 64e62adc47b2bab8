package dev.mod4j.tornado;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mod4j.loaders.config.ClipVisionConfig;
import dev.mod4j.loaders.layout.CheckpointLayout;
import dev.mod4j.loaders.npy.NpyArray;
import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.loaders.safetensors.LoadMode;
import dev.mod4j.loaders.synthetic.RandomModelSpec;
import dev.mod4j.loaders.synthetic.RandomModelWriter;
import dev.mod4j.runtime.backend.Backends;
import dev.mod4j.runtime.generate.Sampler;
import dev.mod4j.runtime.llava.MultimodalModel;
import dev.mod4j.runtime.model.Session;
import dev.mod4j.runtime.prompt.PromptRows;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static dev.mod4j.tornado.TornadoTestSupport.LOGIT_TOLERANCE;
import static dev.mod4j.tornado.TornadoTestSupport.argmax;
import static dev.mod4j.loaders.FloatAssertions.assertClose;
import static dev.mod4j.tornado.TornadoTestSupport.maxAbsDiff;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The vision tower and projector on the device (EncoderTaskGraphs) against the CPU backend's (CpuVisionEncoder):
 * every hidden state up to vision_feature_layer, the selected features and the projector's output within
 * {@link #VISION_TOLERANCE} (absolute), the device counters showing that the encoder graphs ran; and a whole LLaVA
 * prompt with an image giving the CPU backend's logits.
 */
class TornadoVisionTest {
    /** Vision features and projector output of the two backends agree within this (absolute). */
    static final float VISION_TOLERANCE = 1e-5f;

    @BeforeEach
    void needsTornadoVm() {
        TornadoTestSupport.assumeTornadoVm();
    }

    /** The golden llava-hf model: a quick_gelu tower (3 layers, 4 heads), a gelu projector (mlp2x_gelu), F32. */
    @Test
    void goldenLlavaVisionFeaturesAndProjectorOutputMatchTheCpuBackend() {
        Path dir = TornadoTestSupport.golden("llava-hf-f32");
        float[] pixels = NpyArray.read(dir.resolve("pixel_values.npy")).data();
        compareVision(dir, pixels, "llava-hf-f32");
    }

    /**
     * A random CLIP-shaped tower with exact GELU (not quick_gelu), a head size that is no multiple of the kernels'
     * tiles, and BF16 weights (widened to float32 on the device, as the CPU widens them).
     */
    @Test
    void geluTowerWithBf16WeightsMatchesTheCpuBackend(@TempDir Path dir) {
        var text = RandomModelSpec.tinyLlama(128, 48, 96, 2, 4, 2);
        var vision = new ClipVisionConfig(48, 136, 3, 2, 3, 40, 8, "gelu", 1e-5, 48);
        RandomModelWriter.write(new RandomModelSpec(text, vision, CheckpointLayout.LLAVA_HF, DType.BF16,
                RandomModelSpec.Routers.NONE, List.of(), Long.MAX_VALUE, 31, 0.15f), dir);
        float[] pixels = new float[3 * 40 * 40];
        SplittableRandom random = new SplittableRandom(5);
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (float) (random.nextDouble() * 4 - 2);
        }
        compareVision(dir, pixels, "random gelu tower");
    }

    private static void compareVision(Path dir, float[] pixels, String what) {
        try (MultimodalModel cpu = MultimodalModel.load(dir, null, LoadMode.MMAP, Backends.factory("cpu", null));
             MultimodalModel tornado = MultimodalModel.load(dir, null, LoadMode.MMAP,
                     Backends.factory("tornadovm", null))) {
            TornadoBackend backend = (TornadoBackend) tornado.decoder().backend();
            List<float[]> cpuStates = new ArrayList<>();
            List<float[]> deviceStates = new ArrayList<>();
            float[] cpuFeatures = cpu.visionFeatures(pixels, (i, s) -> cpuStates.add(s));
            float[] deviceFeatures = tornado.visionFeatures(pixels, (i, s) -> deviceStates.add(s));
            assertEquals(cpuStates.size(), deviceStates.size(), what + ": hidden states observed");
            for (int i = 0; i < cpuStates.size(); i++) {
                System.out.printf("[tornadovm] %s: hidden state %d, max |cpu - tornadovm| = %.3g (max |cpu| %.3g)%n",
                        what, i, maxAbsDiff(cpuStates.get(i), deviceStates.get(i)), maxAbs(cpuStates.get(i)));
                assertClose(cpuStates.get(i), deviceStates.get(i), VISION_TOLERANCE, what + ": hidden state " + i);
            }
            assertClose(cpuFeatures, deviceFeatures, VISION_TOLERANCE, what + ": vision features");
            int layersRun = cpuStates.size() - 1;
            assertEquals(layersRun, backend.encoderLayersRun(), what + ": encoder layers run on the device");

            int rows = tornado.rowsPerImage();
            float[] cpuProjected = cpu.project(cpuFeatures, rows);
            float[] deviceProjected = tornado.project(deviceFeatures, rows);
            System.out.printf("[tornadovm] %s: vision features max |cpu - tornadovm| = %.3g, projector output %.3g"
                            + " (max |cpu| %.3g), %d encoder layers on %s%n", what,
                    maxAbsDiff(cpuFeatures, deviceFeatures), maxAbsDiff(cpuProjected, deviceProjected),
                    maxAbs(cpuProjected), backend.encoderLayersRun(), backend.name());
            assertClose(cpuProjected, deviceProjected, VISION_TOLERANCE, what + ": projector output");
            assertEquals(1, backend.projectorRuns(), what + ": projector runs on the device");
        }
    }

    /** The golden llava-hf prompt with its image: prefill logits and greedy decoding as on the CPU backend. */
    @Test
    void llavaPromptWithAnImageGivesTheCpuBackendsLogits() throws IOException {
        Path dir = TornadoTestSupport.golden("llava-hf-f32");
        JsonNode golden = new ObjectMapper().readTree(dir.resolve("golden.json").toFile());
        int[] ids = new int[golden.get("input_ids").size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = golden.get("input_ids").get(i).asInt();
        }
        float[] pixels = NpyArray.read(dir.resolve("pixel_values.npy")).data();
        int steps = golden.get("greedy_new_tokens").size();
        try (MultimodalModel cpu = MultimodalModel.load(dir, null, LoadMode.MMAP, Backends.factory("cpu", null));
             MultimodalModel tornado = MultimodalModel.load(dir, null, LoadMode.MMAP,
                     Backends.factory("tornadovm", null))) {
            PromptRows cpuPrompt = cpu.prompt(ids, List.of(pixels));
            PromptRows devicePrompt = tornado.prompt(ids, List.of(pixels));
            TornadoBackend backend = (TornadoBackend) tornado.decoder().backend();
            assertEquals(tornado.multimodalConfig().visionFeatureLayer() < 0
                    ? tornado.visionConfig().numHiddenLayers() + 1 + tornado.multimodalConfig().visionFeatureLayer()
                    : tornado.multimodalConfig().visionFeatureLayer(), backend.encoderLayersRun(),
                    "the image's encoder layers ran on the device");
            Session cs = cpu.decoder().newSession(cpuPrompt.length() + steps);
            Session ts = tornado.decoder().newSession(devicePrompt.length() + steps);
            float[] cl = cs.prefill(cpuPrompt, null).clone();
            float[] tl = ts.prefill(devicePrompt, null).clone();
            float worst = 0;
            for (int step = 0; step < steps; step++) {
                worst = Math.max(worst, maxAbsDiff(cl, tl));
                assertClose(cl, tl, LOGIT_TOLERANCE, "logits at step " + step);
                int next = argmax(cl);
                assertEquals(next, argmax(tl), "greedy token at step " + step);
                assertEquals(golden.get("greedy_new_tokens").get(step).asInt(), next, "greedy token vs PyTorch");
                if (step + 1 < steps) {
                    cl = cs.decode(next).clone();
                    tl = ts.decode(next).clone();
                }
            }
            System.out.printf("[tornadovm] llava-hf-f32 prompt with image (%d rows): max |cpu - tornadovm| over %d"
                    + " steps' logits = %.3g%n", devicePrompt.length(), steps, worst);
        }
    }

    private static float maxAbs(float[] v) {
        float m = 0;
        for (float x : v) {
            m = Math.max(m, Math.abs(x));
        }
        return m;
    }
}
