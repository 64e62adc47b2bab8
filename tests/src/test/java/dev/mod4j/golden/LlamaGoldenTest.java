package dev.mod4j.golden;

import dev.mod4j.loaders.npy.NpyArray;
import dev.mod4j.runtime.model.LlamaModel;
import dev.mod4j.runtime.model.Session;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static dev.mod4j.loaders.FloatAssertions.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The decoder against an independent PyTorch implementation (tests/golden/generate_golden.py, float64): logits of
 * every prompt position and the greedy continuation, for F32 / BF16 / F16 weights, GQA, tied embeddings and linear
 * rope scaling.
 */
class LlamaGoldenTest {
    static final float LOGIT_TOLERANCE = 1e-4f;

    @ParameterizedTest
    @ValueSource(strings = {"llama-gqa-f32", "llama-gqa-bf16", "llama-gqa-f16", "llama-tied-rope-f32"})
    void promptLogitsMatchTheReference(String caseName) {
        GoldenCase c = GoldenCase.load(caseName);
        int[] prompt = c.ints("input_ids");
        NpyArray expected = c.array("logits.npy");
        try (LlamaModel model = LlamaModel.load(c.directory())) {
            int vocab = model.config().vocabSize();
            assertArrayEquals(new long[]{prompt.length, vocab}, expected.shape());
            float[] logits = new float[prompt.length * vocab];
            model.newSession(prompt.length).prefill(prompt, logits);
            assertClose(expected.data(), logits, LOGIT_TOLERANCE, caseName + " prompt logits");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-gqa-f32", "llama-gqa-bf16", "llama-gqa-f16", "llama-tied-rope-f32"})
    void greedyDecodingWithTheCacheMatchesTheReference(String caseName) {
        GoldenCase c = GoldenCase.load(caseName);
        int[] prompt = c.ints("input_ids");
        int[] expectedTokens = c.ints("greedy_new_tokens");
        NpyArray expectedStepLogits = c.array("greedy_logits.npy");
        try (LlamaModel model = LlamaModel.load(c.directory())) {
            int vocab = model.config().vocabSize();
            Session session = model.newSession(prompt.length + expectedTokens.length);
            float[] logits = session.prefill(prompt, null);
            int[] generated = new int[expectedTokens.length];
            for (int step = 0; step < generated.length; step++) {
                float[] expected = java.util.Arrays.copyOfRange(expectedStepLogits.data(), step * vocab, (step + 1) * vocab);
                assertClose(expected, logits, LOGIT_TOLERANCE, caseName + " step " + step);
                generated[step] = argmax(logits);
                if (step + 1 < generated.length) {
                    logits = session.decode(generated[step]);
                }
            }
            assertArrayEquals(expectedTokens, generated, caseName + " greedy tokens");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-gqa-f32", "llama-gqa-bf16"})
    void decodingWithTheCacheEqualsRecomputingTheWholeSequence(String caseName) {
        GoldenCase c = GoldenCase.load(caseName);
        int[] prompt = c.ints("input_ids");
        int steps = 6;
        try (LlamaModel model = LlamaModel.load(c.directory())) {
            Session cached = model.newSession(prompt.length + steps);
            float[] logits = cached.prefill(prompt, null);
            int[] sequence = java.util.Arrays.copyOf(prompt, prompt.length + steps);
            for (int step = 0; step < steps; step++) {
                int next = argmax(logits);
                sequence[prompt.length + step] = next;
                logits = cached.decode(next).clone();
                int[] whole = java.util.Arrays.copyOf(sequence, prompt.length + step + 1);
                float[] recomputed = model.newSession(whole.length).prefill(whole, null);
                // Same maths, different batch shapes (1 row vs many): only float rounding may differ.
                assertClose(recomputed, logits, 1e-5f, caseName + " step " + step);
                assertEquals(argmax(recomputed), argmax(logits));
            }
        }
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}
