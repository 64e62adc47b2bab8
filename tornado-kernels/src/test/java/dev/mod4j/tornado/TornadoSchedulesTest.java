package dev.mod4j.tornado;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mod4j.loaders.npy.NpyArray;
import dev.mod4j.loaders.safetensors.LoadMode;
import dev.mod4j.runtime.cpu.CpuBackend;
import dev.mod4j.runtime.generate.Sampler;
import dev.mod4j.runtime.llava.MultimodalModel;
import dev.mod4j.runtime.prompt.PromptRows;
import dev.mod4j.runtime.model.Session;
import dev.mod4j.runtime.schedule.LayerRecord;
import dev.mod4j.runtime.schedule.Schedules;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.mod4j.loaders.FloatAssertions.assertClose;
import static dev.mod4j.tornado.TornadoTestSupport.LOGIT_TOLERANCE;
import static dev.mod4j.tornado.TornadoTestSupport.maxAbsDiff;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every token schedule on the TornadoVM backend against the CPU backend, on the small random LLaVA models of the
 * schedule goldens (tests/src/test/resources/golden/schedules): the same tokens processed by every layer, the same
 * rotary positions and cache lengths, logits within 1e-3 at every step, the same greedy tokens.
 */
class TornadoSchedulesTest {
    /** One loaded model per directory and backend, shared by the cases (TornadoVM compiles the kernels once). */
    private static final Map<String, MultimodalModel> MODELS = new HashMap<>();

    @BeforeEach
    void needsTornadoVm() {
        TornadoTestSupport.assumeTornadoVm();
    }

    @AfterAll
    static void closeModels() {
        MODELS.values().forEach(MultimodalModel::close);
        MODELS.clear();
    }

    /** What one run of a schedule produced. */
    record Run(List<float[]> stepLogits, int[] tokens, List<int[]> prefillProcessed, List<int[]> cachePositions,
               List<String> decodeProcessed, int[] cacheLengths) {
    }

    @ParameterizedTest
    @ValueSource(strings = {"dense", "fastv", "pdrop", "gmod", "gmod-skip", "pmod", "dart", "divprune", "visionzip"})
    void scheduleOnTornadoVmMatchesTheCpuBackend(String name) throws IOException {
        Path dir = TornadoTestSupport.golden("schedules");
        JsonNode g = new ObjectMapper().readTree(dir.resolve(name + ".json").toFile());
        Path modelDir = dir.resolve(g.get("model").asText());
        float[] pixels = NpyArray.read(dir.resolve(g.get("pixel_values").asText())).data();
        int[] ids = ints(g.get("input_ids"));
        int steps = g.get("greedy_new_tokens").size();
        String spec = g.get("spec").asText();

        MultimodalModel cpu = model(modelDir, "cpu");
        MultimodalModel tornado = model(modelDir, "tornadovm");
        System.out.println("[tornadovm] " + name + " (" + spec + ") on " + tornado.decoder().backend().name());
        Run expected = run(cpu, spec, ids, pixels, steps);
        Run actual = run(tornado, spec, ids, pixels, steps);

        int layers = cpu.decoder().config().numHiddenLayers();
        for (int l = 0; l < layers; l++) {
            assertArrayEquals(expected.prefillProcessed().get(l), actual.prefillProcessed().get(l),
                    name + ": tokens processed by layer " + l + " in prefill");
            assertArrayEquals(expected.cachePositions().get(l), actual.cachePositions().get(l),
                    name + ": rotary positions kept in the cache of layer " + l);
        }
        assertEquals(expected.decodeProcessed(), actual.decodeProcessed(), name + ": layers that processed each decode step");
        assertArrayEquals(expected.cacheLengths(), actual.cacheLengths(), name + ": cache lengths after decoding");
        float worst = 0;
        for (int s = 0; s < steps; s++) {
            assertClose(expected.stepLogits().get(s), actual.stepLogits().get(s), LOGIT_TOLERANCE,
                    name + ": logits at step " + s);
            worst = Math.max(worst, maxAbsDiff(expected.stepLogits().get(s), actual.stepLogits().get(s)));
        }
        assertArrayEquals(expected.tokens(), actual.tokens(), name + ": greedy tokens");
        // The CPU backend itself matches the PyTorch reference (ScheduleGoldenTest); so must this one.
        assertArrayEquals(ints(g.get("greedy_new_tokens")), actual.tokens(), name + ": greedy tokens vs the reference");
        System.out.println("[tornadovm] " + name + ": max |cpu - tornadovm| logits over " + steps + " steps = " + worst
                + ", tokens " + java.util.Arrays.toString(actual.tokens()));
    }

    private static MultimodalModel model(Path dir, String backend) {
        return MODELS.computeIfAbsent(dir + "|" + backend, k -> backend.equals("cpu")
                ? MultimodalModel.load(dir, null, LoadMode.MMAP, CpuBackend::of)
                : MultimodalModel.load(dir, null, LoadMode.MMAP, TornadoBackend.on(null)));
    }

    private static Run run(MultimodalModel model, String spec, int[] ids, float[] pixels, int steps) {
        PromptRows prompt = model.prompt(ids, List.of(pixels));
        Session session = model.decoder().newSession(prompt.length() + steps)
                .schedule(Schedules.create(spec, model.decoder().files()));
        List<float[]> stepLogits = new ArrayList<>();
        int[] tokens = new int[steps];
        float[] logits = session.prefill(prompt, null).clone();
        int layers = model.decoder().config().numHiddenLayers();
        List<int[]> prefillProcessed = new ArrayList<>();
        List<int[]> positions = new ArrayList<>();
        List<LayerRecord> prefill = session.trace().prefill();
        for (int l = 0; l < layers; l++) {
            prefillProcessed.add(prefill.get(l).processed());
            int[] p = new int[session.cache(l).length()];
            for (int e = 0; e < p.length; e++) {
                p[e] = session.cache(l).position(e);
            }
            positions.add(p);
        }
        List<String> decodeProcessed = new ArrayList<>();
        for (int step = 0; step < steps; step++) {
            stepLogits.add(logits);
            tokens[step] = Sampler.argmax(logits);
            if (step + 1 < steps) {
                logits = session.decode(tokens[step]).clone();
                List<Integer> layersThatRan = new ArrayList<>();
                for (LayerRecord r : session.trace().records()) {
                    if (r.step() == step + 1 && r.processedCount() == 1) {
                        layersThatRan.add(r.layer());
                    }
                }
                decodeProcessed.add(layersThatRan.toString());
            }
        }
        int[] lengths = new int[layers];
        for (int l = 0; l < layers; l++) {
            lengths[l] = session.cache(l).length();
        }
        return new Run(stepLogits, tokens, prefillProcessed, positions, decodeProcessed, lengths);
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }
}
