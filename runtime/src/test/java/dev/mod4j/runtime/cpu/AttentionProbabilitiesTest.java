package dev.mod4j.runtime.cpu;

import dev.mod4j.loaders.config.LlamaConfig;
import dev.mod4j.loaders.layout.CheckpointLayout;
import dev.mod4j.loaders.layout.ModelFiles;
import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.loaders.safetensors.LoadMode;
import dev.mod4j.loaders.synthetic.RandomModelSpec;
import dev.mod4j.loaders.synthetic.RandomModelWriter;
import dev.mod4j.runtime.model.LlamaModel;
import dev.mod4j.runtime.weights.DecoderLayerWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The schedules' attention ranking (FastV, PyramidDrop, SparseVLM) runs on the backend's threads: its result must be
 * the same bits for any thread count, or a ranking tie could keep different rows on different machines.
 */
class AttentionProbabilitiesTest {

    @Test
    void rankingIsTheSameBitsForAnyThreadCount(@TempDir Path dir) {
        LlamaConfig config = RandomModelSpec.tinyLlama(128, 64, 96, 2, 4, 2); // grouped-query: 4 heads, 2 kv heads
        RandomModelWriter.write(new RandomModelSpec(config, null, CheckpointLayout.LLAMA, DType.BF16,
                RandomModelSpec.Routers.NONE, List.of(), Long.MAX_VALUE, 7, 0.2f), dir);
        int rows = 1100; // more than one chunk of the head-mean reduction
        SplittableRandom random = new SplittableRandom(11);
        float[] hidden = new float[rows * config.hiddenSize()];
        for (int i = 0; i < hidden.length; i++) {
            hidden[i] = (float) (random.nextDouble() * 4 - 2);
        }
        int[] positions = new int[rows];
        for (int r = 0; r < rows; r++) {
            positions[r] = (7 * r) % 509; // any positions below the tiny model's 512 serve here
        }
        int[] queryRows = {600, 900, rows - 1};
        try (LlamaModel model = LlamaModel.load(ModelFiles.open(dir, null, LoadMode.COPY), CpuBackend::of);
             Parallel one = new Parallel(1); Parallel three = new Parallel(3)) {
            DecoderLayerWeights w = model.backend().hostWeights().layers().get(1);
            float[] mean = AttentionProbabilities.headMean(config, w, model.rope(), hidden, rows - 1, positions, one);
            assertArrayEquals(mean, AttentionProbabilities.headMean(config, w, model.rope(), hidden, rows - 1,
                    positions, three));
            double total = 0;
            for (float p : mean) {
                total += p;
            }
            assertEquals(1.0, total, 1e-4, "a mean of softmax rows sums to 1");
            assertArrayEquals(AttentionProbabilities.headMeanRows(config, w, model.rope(), hidden, queryRows,
                            positions, one),
                    AttentionProbabilities.headMeanRows(config, w, model.rope(), hidden, queryRows, positions, three));
        }
    }
}
