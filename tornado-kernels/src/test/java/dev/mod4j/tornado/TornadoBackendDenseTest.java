package dev.mod4j.tornado;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mod4j.loaders.layout.ModelFiles;
import dev.mod4j.loaders.safetensors.LoadMode;
import dev.mod4j.runtime.cpu.CpuBackend;
import dev.mod4j.runtime.model.LlamaModel;
import dev.mod4j.runtime.model.Session;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import uk.ac.manchester.tornado.api.common.TornadoDevice;

import java.io.IOException;
import java.nio.file.Path;

import static dev.mod4j.loaders.FloatAssertions.assertClose;
import static dev.mod4j.tornado.TornadoTestSupport.LOGIT_TOLERANCE;
import static dev.mod4j.tornado.TornadoTestSupport.argmax;
import static dev.mod4j.tornado.TornadoTestSupport.maxAbsDiff;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The TornadoVM backend against the CPU backend on the golden LLaMAs: prefill logits and greedy decoding. */
class TornadoBackendDenseTest {
    static final Path MODEL = TornadoTestSupport.golden("llama-gqa-f32");
    static final int[] PROMPT = {1, 242, 339, 311, 60, 228, 99, 367, 317, 117, 177, 377};
    static final int[] OTHER_PROMPT = {1, 17, 250, 3, 99, 42, 311, 7, 128, 64, 5, 200, 31, 8, 77, 300, 12};

    @BeforeEach
    void needsTornadoVm() {
        TornadoTestSupport.assumeTornadoVm();
    }

    /**
     * F32, BF16 and F16 checkpoints, GQA, tied embeddings, linear rope scaling. BF16 is widened to float32 on the
     * device; F16 too on a device without fp16 (PoCL), while on a device with fp16 it stays half and the half-weight
     * kernels run (see {@link #f16CheckpointKeepsHalfWeightsOnADeviceWithFp16}).
     */
    @ParameterizedTest
    @CsvSource({"llama-gqa-f32, MMAP", "llama-gqa-bf16, MMAP", "llama-gqa-bf16, COPY", "llama-gqa-f16, COPY",
            "llama-tied-rope-f32, COPY"})
    void prefillLogitsAndGreedyDecodingMatchTheCpuBackend(String caseName, LoadMode tornadoLoad) throws IOException {
        Path dir = TornadoTestSupport.golden(caseName);
        JsonNode golden = new ObjectMapper().readTree(dir.resolve("golden.json").toFile());
        int[] prompt = ints(golden.get("input_ids"));
        int[] reference = ints(golden.get("greedy_new_tokens"));
        int steps = reference.length;
        try (LlamaModel cpu = LlamaModel.load(ModelFiles.open(dir, null, LoadMode.MMAP), CpuBackend::of);
             LlamaModel tornado = LlamaModel.load(ModelFiles.open(dir, null, tornadoLoad), TornadoBackend.on(null))) {
            // COPY: weights read into memory rather than mapped; the backend reads them as the checkpoint lays them out.
            System.out.println("[tornadovm] " + caseName + " (" + tornadoLoad + ") on " + tornado.backend().name());
            int vocab = cpu.config().vocabSize();
            Session cs = cpu.newSession(prompt.length + steps);
            Session ts = tornado.newSession(prompt.length + steps);
            float[] cpuAll = new float[prompt.length * vocab];
            float[] tornadoAll = new float[prompt.length * vocab];
            float[] cl = cs.prefill(prompt, cpuAll).clone();
            float[] tl = ts.prefill(prompt, tornadoAll).clone();
            System.out.println("[tornadovm] " + caseName + " prefill: max |cpu - tornadovm| over all prompt logits = "
                    + maxAbsDiff(cpuAll, tornadoAll));
            assertClose(cpuAll, tornadoAll, LOGIT_TOLERANCE, "prefill logits");
            int[] cpuTokens = new int[steps];
            int[] tornadoTokens = new int[steps];
            for (int step = 0; step < steps; step++) {
                assertClose(cl, tl, LOGIT_TOLERANCE, "logits at step " + step);
                cpuTokens[step] = argmax(cl);
                tornadoTokens[step] = argmax(tl);
                if (step + 1 < steps) {
                    cl = cs.decode(cpuTokens[step]).clone();
                    tl = ts.decode(tornadoTokens[step]).clone();
                }
            }
            assertArrayEquals(cpuTokens, tornadoTokens, "greedy tokens");
            assertArrayEquals(reference, tornadoTokens, "greedy tokens vs the PyTorch reference");
            System.out.println("[tornadovm] " + caseName + " greedy tokens (both backends): " + java.util.Arrays.toString(tornadoTokens));
        }
    }

    /**
     * Two sessions interleaved on one backend: the device KV cache and residual stream hold one session's at a time,
     * so each switch saves the entries only the device held into the first session's host cache and restores the
     * other session's from its own; a second, larger session also makes the
     * backend rebuild its graphs with a larger device cache. Every step must still equal the CPU backend's.
     */
    @Test
    void interleavedSessionsRestoreTheirDeviceCachesFromTheHost() {
        int steps = 5;
        try (LlamaModel cpu = LlamaModel.load(ModelFiles.open(MODEL, null, LoadMode.MMAP), CpuBackend::of);
             LlamaModel tornado = LlamaModel.load(ModelFiles.open(MODEL, null, LoadMode.MMAP), TornadoBackend.on(null))) {
            Session cpuA = cpu.newSession(PROMPT.length + steps);
            Session tornadoA = tornado.newSession(PROMPT.length + steps);
            float[] ca = cpuA.prefill(PROMPT, null).clone();
            float[] ta = tornadoA.prefill(PROMPT, null).clone();
            Session cpuB = cpu.newSession(OTHER_PROMPT.length + steps + 40);
            Session tornadoB = tornado.newSession(OTHER_PROMPT.length + steps + 40);
            float[] cb = cpuB.prefill(OTHER_PROMPT, null).clone();
            float[] tb = tornadoB.prefill(OTHER_PROMPT, null).clone();
            for (int step = 0; step < steps; step++) {
                assertClose(ca, ta, LOGIT_TOLERANCE, "session A, step " + step);
                assertClose(cb, tb, LOGIT_TOLERANCE, "session B, step " + step);
                int nextA = argmax(ca);
                int nextB = argmax(cb);
                assertEquals(nextA, argmax(ta), "session A token at step " + step);
                assertEquals(nextB, argmax(tb), "session B token at step " + step);
                ca = cpuA.decode(nextA).clone();
                ta = tornadoA.decode(nextA).clone();
                cb = cpuB.decode(nextB).clone();
                tb = tornadoB.decode(nextB).clone();
            }
            assertClose(ca, ta, LOGIT_TOLERANCE, "session A, last step");
            assertClose(cb, tb, LOGIT_TOLERANCE, "session B, last step");
            long restored = ((TornadoBackend) tornado.backend()).restoredEntries();
            long saved = ((TornadoBackend) tornado.backend()).savedEntries();
            System.out.println("[tornadovm] interleaved sessions: " + saved + " KV entries saved to host caches, "
                    + restored + " restored from them");
            assertTrue(restored > 0, "switching sessions must have restored device caches from the host");
            assertTrue(saved > 0, "switching sessions must have saved the device-only entries to the host caches");
        }
    }

    /**
     * On a device with fp16 an F16 checkpoint's matrices stay half on the device, and the logits test above runs the
     * half-weight kernels. No such device was available for this repository's tests (PoCL has no fp16): skipped there.
     */
    @Test
    void f16CheckpointKeepsHalfWeightsOnADeviceWithFp16() {
        TornadoDevice device = Devices.select(null);
        assumeTrue(Devices.supportsHalfFloat(device), device.getPhysicalDevice().getDeviceName()
                + " has no fp16: the half-weight kernels are not executed on this device");
        try (LlamaModel tornado = LlamaModel.load(ModelFiles.open(TornadoTestSupport.golden("llama-gqa-f16"), null,
                LoadMode.MMAP), TornadoBackend.on(null))) {
            TornadoBackend backend = (TornadoBackend) tornado.backend();
            assertEquals(WeightPrecision.F16, backend.weightPrecision());
            assertTrue(backend.name().contains("weights f16"), backend.name());
        }
    }

    /** On a device without fp16 (PoCL here) an F16 checkpoint is widened to float32 and the float kernels run. */
    @Test
    void f16CheckpointIsWidenedToFloat32OnADeviceWithoutFp16() {
        TornadoDevice device = Devices.select(null);
        assumeFalse(Devices.supportsHalfFloat(device), device.getPhysicalDevice().getDeviceName() + " has fp16");
        try (LlamaModel tornado = LlamaModel.load(ModelFiles.open(TornadoTestSupport.golden("llama-gqa-f16"), null,
                LoadMode.MMAP), TornadoBackend.on(null))) {
            TornadoBackend backend = (TornadoBackend) tornado.backend();
            System.out.println("[tornadovm] llama-gqa-f16 on " + backend.name());
            assertEquals(WeightPrecision.F32, backend.weightPrecision());
            assertTrue(backend.name().contains("weights f32 from F16, device has no fp16"), backend.name());
        }
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }
}
