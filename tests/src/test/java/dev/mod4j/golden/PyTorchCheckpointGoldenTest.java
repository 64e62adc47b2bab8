package dev.mod4j.golden;

import dev.mod4j.loaders.layout.ModelFiles;
import dev.mod4j.loaders.safetensors.CheckpointFile;
import dev.mod4j.loaders.safetensors.LoadMode;
import dev.mod4j.runtime.generate.Sampler;
import dev.mod4j.runtime.llava.MultimodalModel;
import dev.mod4j.runtime.model.Session;
import dev.mod4j.runtime.prompt.PromptRows;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.mod4j.loaders.FloatAssertions.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The llava-original-f32 golden model re-saved as liuhaotian's checkpoints ship (tests/golden/generate_pytorch_llava.py:
 * torch.save shards + pytorch_model.bin.index.json, mm_projector.bin, the CLIP tower as pytorch_model.bin) gives the
 * same logits as its safetensors original, bit for bit, and the reference's within the golden tolerance.
 */
class PyTorchCheckpointGoldenTest {
    @Test
    void pickledShardsGiveTheSameLogitsAsSafetensors() {
        GoldenCase reference = GoldenCase.load("llava-original-f32");
        java.nio.file.Path pickled = reference.directory().resolveSibling("llava-original-pytorch");
        try (ModelFiles files = ModelFiles.open(pickled, null, LoadMode.MMAP)) {
            assertEquals(List.of("pytorch zip"), files.language().files().stream().map(CheckpointFile::format).distinct().toList());
            assertEquals("pytorch_model.bin", files.vision().files().getFirst().path().getFileName().toString());
        }
        float[] pixels = reference.array("pixel_values.npy").data();
        int[] expectedTokens = reference.ints("greedy_new_tokens");
        float[] fromSafetensors = logits(MultimodalModel.load(reference.directory()), reference, pixels, expectedTokens);
        float[] fromPickles = logits(MultimodalModel.load(pickled), reference, pixels, expectedTokens);
        assertArrayEquals(fromSafetensors, fromPickles, "pickled copy's prompt logits");
        assertClose(reference.array("logits.npy").data(), fromPickles, LlavaGoldenTest.TOLERANCE, "pickled prompt logits");
    }

    /** Prompt logits; also checks the greedy tokens against the reference. */
    private static float[] logits(MultimodalModel model, GoldenCase c, float[] pixels, int[] expectedTokens) {
        try (model) {
            PromptRows prompt = model.prompt(c.ints("input_ids"), List.of(pixels));
            int vocab = model.decoder().config().vocabSize();
            Session session = model.decoder().newSession(prompt.length() + expectedTokens.length);
            float[] logits = new float[prompt.length() * vocab];
            float[] last = session.prefill(prompt, logits);
            int[] generated = new int[expectedTokens.length];
            for (int step = 0; step < generated.length; step++) {
                generated[step] = Sampler.argmax(last);
                if (step + 1 < generated.length) {
                    last = session.decode(generated[step]);
                }
            }
            assertArrayEquals(expectedTokens, generated, "greedy tokens");
            return logits;
        }
    }
}
