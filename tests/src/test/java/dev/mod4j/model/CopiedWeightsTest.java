package dev.mod4j.model;

import dev.mod4j.loaders.config.LlamaConfig;
import dev.mod4j.loaders.layout.CheckpointLayout;
import dev.mod4j.loaders.layout.ModelFiles;
import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.loaders.safetensors.LoadMode;
import dev.mod4j.loaders.synthetic.RandomModelSpec;
import dev.mod4j.loaders.synthetic.RandomModelWriter;
import dev.mod4j.runtime.cpu.CpuBackend;
import dev.mod4j.runtime.generate.Sampler;
import dev.mod4j.runtime.weights.DecoderLayerWeights;
import dev.mod4j.runtime.model.LlamaModel;
import dev.mod4j.runtime.model.Session;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Weights copied into memory are rearranged for the decode kernels (interleaved rows); memory-mapped ones are read
 * as the file has them. Both must give the same model, bit for bit: every prefill logit and every decode step.
 * Intermediate size 700 leaves down_proj (rows of 1400 BF16 bytes) row-major, so both layouts meet in one layer.
 */
class CopiedWeightsTest {

    @ParameterizedTest
    @CsvSource({"BF16, false", "F32, true", "F16, false"})
    void copiedAndMappedWeightsGiveTheSameLogits(DType dtype, boolean tiedEmbeddings, @TempDir Path dir) {
        LlamaConfig config = new LlamaConfig(300, 64, 700, 2, 4, 2, 16, "silu", 512, 1e-5, 10000.0, null,
                tiedEmbeddings, 1, List.of(2), null, false, false, "float32");
        RandomModelWriter.write(new RandomModelSpec(config, null, CheckpointLayout.LLAMA, dtype,
                RandomModelSpec.Routers.NONE, List.of(), 1L << 30, 31, 0.1f), dir);
        int[] prompt = new SplittableRandom(5).ints(40, 3, config.vocabSize()).toArray();
        List<float[]> mapped = run(dir, LoadMode.MMAP, prompt, false);
        List<float[]> copied = run(dir, LoadMode.COPY, prompt, true);
        for (int i = 0; i < mapped.size(); i++) {
            assertArrayEquals(mapped.get(i), copied.get(i), i == 0 ? "prefill logits" : "decode step " + i);
        }
    }

    /** Prefill logits, then the logits of 8 greedy decode steps. */
    private static List<float[]> run(Path dir, LoadMode mode, int[] prompt, boolean expectInterleaved) {
        try (LlamaModel model = LlamaModel.load(ModelFiles.open(dir, null, mode), CpuBackend::of)) {
            DecoderLayerWeights layer = model.backend().hostWeights().layers().get(0);
            assertTrue(layer.qProj().weight().interleaved() == expectInterleaved, mode + ": q_proj layout");
            assertTrue(layer.gateProj().weight().interleaved() == expectInterleaved, mode + ": gate_proj layout");
            assertTrue(model.backend().hostWeights().lmHead().interleaved() == expectInterleaved, mode + ": lm_head layout");
            assertFalse(layer.downProj().weight().interleaved(), "down_proj's rows are not a whole number of chunks");
            int vocab = model.config().vocabSize();
            Session session = model.newSession(prompt.length + 8);
            List<float[]> logits = new ArrayList<>();
            float[] all = new float[prompt.length * vocab];
            float[] last = session.prefill(prompt, all);
            logits.add(all);
            for (int step = 0; step < 8; step++) {
                last = session.decode(Sampler.argmax(last));
                logits.add(last.clone());
            }
            return logits;
        }
    }
}
