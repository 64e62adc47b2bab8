package dev.mod4j.tornado;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mod4j.loaders.config.LlamaConfig;
import dev.mod4j.loaders.npy.NpyArray;
import dev.mod4j.loaders.safetensors.LoadMode;
import dev.mod4j.runtime.cpu.CpuBackend;
import dev.mod4j.runtime.generate.Sampler;
import dev.mod4j.runtime.llava.MultimodalModel;
import dev.mod4j.runtime.prompt.PromptRows;
import dev.mod4j.runtime.model.Session;
import dev.mod4j.runtime.schedule.LayerPlan;
import dev.mod4j.runtime.schedule.ScheduleContext;
import dev.mod4j.runtime.schedule.Schedules;
import dev.mod4j.runtime.schedule.TokenSchedule;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.mod4j.loaders.FloatAssertions.assertClose;
import static dev.mod4j.tornado.TornadoTestSupport.LOGIT_TOLERANCE;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The residual stream stays on the device: what crosses the bus in a forward pass is the input rows once, the logits
 * once, and per layer only a few numbers per row (row indices, positions, gates, router and attention scores), never
 * the hidden rows. Bytes are TornadoVM's profiler's count of every host ↔ device copy.
 */
class TornadoTransfersTest {
    /** Numbers per row (ints or floats) a layer may move, whatever the hidden size: indices, positions, gates, scores. */
    static final int WORDS_PER_ROW_AND_LAYER = 16;
    /**
     * Bytes a decode step's layer may move, whatever the capacity: the step array and one row's index, position, gate
     * and router scores, as TornadoVM's profiler counts them (about 500 measured on PoCL). γ-MoD's decode moved 1,111
     * here when its score arrays were sized for the capacity, and would grow with it.
     */
    static final int DECODE_BYTES_PER_LAYER = 1024;

    private static final Map<String, MultimodalModel> MODELS = new HashMap<>();
    private static JsonNode golden;
    private static float[] pixels;
    private static int[] ids;

    @BeforeEach
    void needsTornadoVm() {
        TornadoTestSupport.assumeTornadoVm();
    }

    @BeforeAll
    static void readPrompt() throws IOException {
        Path dir = TornadoTestSupport.golden("schedules");
        golden = new ObjectMapper().readTree(dir.resolve("gmod.json").toFile());
        pixels = NpyArray.read(dir.resolve(golden.get("pixel_values").asText())).data();
        ids = new int[golden.get("input_ids").size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = golden.get("input_ids").get(i).asInt();
        }
    }

    @AfterAll
    static void closeModels() {
        MODELS.values().forEach(MultimodalModel::close);
        MODELS.clear();
    }

    @ParameterizedTest
    @ValueSource(strings = {"dense", "fastv:k=2;r=0.5", "pdrop:layers=2,4;ratios=0.5,0.25", "gmod", "pmod"})
    void hiddenRowsStayOnTheDeviceBetweenLayers(String spec) {
        MultimodalModel model = model(spec.startsWith("pmod") ? "model-pmod" : "model-gmod", "profiled");
        TornadoBackend backend = (TornadoBackend) model.decoder().backend();
        LlamaConfig c = model.decoder().config();
        PromptRows prompt = model.prompt(ids, List.of(pixels));
        int capacity = prompt.length() + 2;
        Session session = model.decoder().newSession(capacity).schedule(Schedules.create(spec,
                model.decoder().files()));
        // A first request pays the one-time transfers (constant buffers, the routers' weights); measure the second,
        // with the same schedule object (a fresh one would upload its routers' weights again, once per MoD layer).
        session.decode(Sampler.argmax(session.prefill(prompt, null)));
        session.reset();
        TornadoBackend.TransferredBytes before = backend.transferredBytes();
        float[] logits = session.prefill(prompt, null);
        TornadoBackend.TransferredBytes afterPrefill = backend.transferredBytes();
        session.decode(Sampler.argmax(logits));
        TornadoBackend.TransferredBytes afterDecode = backend.transferredBytes();

        int layers = c.numHiddenLayers();
        long inputRows = 4L * capacity * c.hiddenSize();       // uploaded once per forward pass
        long oneLogitsRow = 4L * c.vocabSize();                  // downloaded once per forward pass
        long prefill = afterPrefill.total() - before.total();
        long decode = afterDecode.total() - afterPrefill.total();
        double prefillPerLayer = (prefill - inputRows - oneLogitsRow) / (double) layers;
        double decodePerLayer = (decode - 4L * c.hiddenSize() - oneLogitsRow) / (double) layers;
        long hiddenRowsOnce = 4L * prompt.length() * c.hiddenSize();
        System.out.printf("[tornadovm] %s: prefill of %d rows moved %d bytes (%d to the device, %d to the host):"
                        + " %.0f per layer beside the input rows and logits, where one copy of the hidden rows is %d;"
                        + " decode step %d bytes, %.0f per layer%n", spec, prompt.length(), prefill,
                afterPrefill.toDevice() - before.toDevice(), afterPrefill.toHost() - before.toHost(), prefillPerLayer,
                hiddenRowsOnce, decode, decodePerLayer);
        long bound = 4L * WORDS_PER_ROW_AND_LAYER * capacity;
        assertTrue(prefillPerLayer <= bound, spec + ": " + prefillPerLayer + " bytes per prefill layer exceed "
                + WORDS_PER_ROW_AND_LAYER + " numbers per row (" + bound + ")");
        assertTrue(prefillPerLayer < hiddenRowsOnce / 2.0, spec + ": a layer moved as much as the hidden rows");
        assertTrue(decodePerLayer <= DECODE_BYTES_PER_LAYER, spec + ": " + decodePerLayer + " bytes per decode layer"
                + " exceed " + DECODE_BYTES_PER_LAYER + " (a decode step processes one row; capacity " + capacity + ")");
    }

    /** ScheduleContext.hidden() (for analysis tools such as ARank) downloads the device rows: they equal the CPU's. */
    @Test
    void analysisToolsReadTheRowsFromTheDevice() {
        int layer = 3;
        float[] cpu = hiddenBefore(model("model-gmod", "cpu"), layer);
        float[] device = hiddenBefore(model("model-gmod", "tornadovm"), layer);
        assertClose(cpu, device, LOGIT_TOLERANCE, "hidden rows before layer " + layer);
    }

    private static float[] hiddenBefore(MultimodalModel model, int layer) {
        PromptRows prompt = model.prompt(ids, List.of(pixels));
        float[][] seen = new float[1][];
        TokenSchedule probe = new TokenSchedule() {
            @Override
            public String spec() {
                return "dense";
            }

            @Override
            public LayerPlan plan(int l, ScheduleContext context) {
                if (l == layer) {
                    seen[0] = Arrays.copyOf(context.hidden(), context.rows() * context.config().hiddenSize());
                }
                return LayerPlan.DENSE;
            }
        };
        model.decoder().newSession(prompt.length()).schedule(probe).prefill(prompt, null);
        return seen[0];
    }

    private static MultimodalModel model(String name, String backend) {
        Path dir = TornadoTestSupport.golden("schedules").resolve(name);
        return MODELS.computeIfAbsent(name + "|" + backend, k -> switch (backend) {
            case "cpu" -> MultimodalModel.load(dir, null, LoadMode.MMAP, CpuBackend::of);
            case "profiled" -> MultimodalModel.load(dir, null, LoadMode.MMAP, parts -> new TornadoBackend(parts,
                    Devices.select(null), true));
            default -> MultimodalModel.load(dir, null, LoadMode.MMAP, TornadoBackend.on(null));
        });
    }
}
