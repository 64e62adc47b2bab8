package dev.mod4j.runtime.generate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The distribution the sampler draws from equals transformers' after its own RepetitionPenaltyLogitsProcessor,
 * TemperatureLogitsWarper, TopK/TopP warpers and MinPLogitsWarper (sampling/golden.json, made by generate.py there).
 */
class SamplerGoldenTest {
    @TestFactory
    List<DynamicTest> samplerDistributionIsTransformers() throws IOException {
        JsonNode golden;
        try (InputStream in = SamplerGoldenTest.class.getResourceAsStream("/sampling/golden.json")) {
            golden = new ObjectMapper().readTree(in);
        }
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : golden.get("cases")) {
            tests.add(DynamicTest.dynamicTest(c.get("name").asText(), () -> {
                SamplingOptions options = new SamplingOptions(c.get("temperature").asDouble(), c.get("top_k").asInt(),
                        c.get("top_p").asDouble(), 1, c.get("min_p").asDouble(), c.get("repetition_penalty").asDouble());
                Sampler sampler = new Sampler(options);
                c.get("context").forEach(id -> sampler.remember(id.asInt()));
                float[] logits = floats(c.get("logits"));
                float[] expected = floats(c.get("probabilities"));
                float[] actual = sampler.distribution(logits);
                for (int i = 0; i < expected.length; i++) {
                    assertEquals(expected[i], actual[i], 2e-6, "token " + i);
                    assertEquals(expected[i] == 0, actual[i] == 0, "token " + i + " kept by one side only");
                }
            }));
        }
        return tests;
    }

    private static float[] floats(JsonNode array) {
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) array.get(i).asDouble();
        }
        return out;
    }
}
