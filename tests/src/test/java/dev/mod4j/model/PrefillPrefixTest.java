package dev.mod4j.model;

import dev.mod4j.loaders.config.LlamaConfig;
import dev.mod4j.loaders.layout.CheckpointLayout;
import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.loaders.synthetic.RandomModelSpec;
import dev.mod4j.loaders.synthetic.RandomModelWriter;
import dev.mod4j.runtime.model.LlamaModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * Causality as an invariant: a prompt's logits at position i do not depend on the tokens after it, so prefilling a
 * prefix gives, bit for bit, the logits of the whole prompt's first positions. Long prompts run the MLP block in
 * passes over slices of the intermediate features (and attention in query blocks); prefixes of different lengths
 * split differently (intermediate size 700: 1, 2 or 3 passes here), so this checks that no split changes a row's
 * arithmetic. Prefixes start at 6 rows, where batches take the packed matrix product.
 */
class PrefillPrefixTest {

    @Test
    void aPrefixsLogitsAreTheWholePromptsFirstLogits(@TempDir Path dir) {
        LlamaConfig config = new LlamaConfig(300, 64, 700, 2, 4, 2, 16, "silu", 512, 1e-5, 10000.0, null, false, 1,
                List.of(2), null, false, false, "float32");
        RandomModelWriter.write(new RandomModelSpec(config, null, CheckpointLayout.LLAMA, DType.BF16,
                RandomModelSpec.Routers.NONE, List.of(), 1L << 30, 23, 0.1f), dir);
        int[] prompt = new SplittableRandom(9).ints(300, 3, config.vocabSize()).toArray();
        int vocab = config.vocabSize();
        try (LlamaModel model = LlamaModel.load(dir)) {
            float[] whole = new float[prompt.length * vocab];
            model.newSession(prompt.length).prefill(prompt, whole);
            for (int length : new int[] {6, 127, 128, 129, 257, 299}) {
                float[] prefix = new float[length * vocab];
                model.newSession(length).prefill(Arrays.copyOf(prompt, length), prefix);
                assertArrayEquals(Arrays.copyOf(whole, length * vocab), prefix, "prefix of " + length + " tokens");
            }
        }
    }
}
