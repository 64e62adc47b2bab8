package dev.mod4j.tornado;

import dev.mod4j.loaders.layout.ModelFiles;
import dev.mod4j.loaders.safetensors.LoadMode;
import dev.mod4j.runtime.cpu.CpuBackend;
import dev.mod4j.runtime.model.LlamaModel;
import dev.mod4j.runtime.model.Session;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static dev.mod4j.tornado.TornadoTestSupport.LOGIT_TOLERANCE;
import static dev.mod4j.tornado.TornadoTestSupport.argmax;
import static dev.mod4j.tornado.TornadoTestSupport.assertClose;
import static dev.mod4j.tornado.TornadoTestSupport.maxAbsDiff;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** The TornadoVM backend against the CPU backend on the golden LLaMA (GQA, F32): prefill logits and greedy decoding. */
class TornadoBackendDenseTest {
    static final Path MODEL = TornadoTestSupport.golden("llama-gqa-f32");
    static final int[] PROMPT = {1, 17, 250, 3, 99, 42, 311, 7, 128, 64, 5, 200};

    @BeforeEach
    void needsTornadoVm() {
        TornadoTestSupport.assumeTornadoVm();
    }

    @Test
    void prefillLogitsAndGreedyDecodingMatchTheCpuBackend() {
        int steps = 8;
        try (LlamaModel cpu = LlamaModel.load(ModelFiles.open(MODEL, null, LoadMode.MMAP), CpuBackend::of);
             LlamaModel tornado = LlamaModel.load(ModelFiles.open(MODEL, null, LoadMode.MMAP), TornadoBackend.on(null))) {
            System.out.println("[tornadovm] device: " + tornado.backend().name());
            int vocab = cpu.config().vocabSize();
            Session cs = cpu.newSession(PROMPT.length + steps);
            Session ts = tornado.newSession(PROMPT.length + steps);
            float[] cpuAll = new float[PROMPT.length * vocab];
            float[] tornadoAll = new float[PROMPT.length * vocab];
            float[] cl = cs.prefill(PROMPT, cpuAll).clone();
            float[] tl = ts.prefill(PROMPT, tornadoAll).clone();
            System.out.println("[tornadovm] prefill: max |cpu - tornadovm| over all prompt logits = "
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
            System.out.println("[tornadovm] greedy tokens (both backends): " + java.util.Arrays.toString(tornadoTokens));
        }
    }
}
