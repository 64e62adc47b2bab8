package dev.mod4j.runtime.cpu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mod4j.loaders.config.Activations;
import org.junit.jupiter.api.Test;

import java.io.InputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every activation a config may name matches PyTorch's values of transformers' ACT2FN
 * (activations_golden.json, from make_activation_golden.py beside it).
 */
class ActivationGoldenTest {
    private static JsonNode golden() throws Exception {
        try (InputStream in = ActivationGoldenTest.class.getResourceAsStream("activations_golden.json")) {
            return new ObjectMapper().readTree(in);
        }
    }

    @Test
    void everySupportedActivationMatchesPyTorch() throws Exception {
        JsonNode golden = golden();
        JsonNode xs = golden.get("x");
        for (String name : Activations.SUPPORTED) {
            JsonNode expected = golden.get("y").get(name);
            assertTrue(expected != null, name + " has no golden values");
            float[] x = new float[xs.size()];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) xs.get(i).asDouble();
            }
            VectorKernels.activation(name, x, 0, x.length);
            for (int i = 0; i < x.length; i++) {
                double want = expected.get(i).asDouble();
                assertEquals(want, x[i], 2e-6 + 2e-6 * Math.abs(want), name + "(" + xs.get(i) + ")");
            }
        }
    }

    @Test
    void theGatedMlpMultipliesTheActivatedGateByUp() throws Exception {
        JsonNode golden = golden();
        JsonNode xs = golden.get("x");
        for (String name : new String[]{"silu", "gelu", "relu"}) {
            float[] gate = new float[xs.size()];
            float[] up = new float[xs.size()];
            for (int i = 0; i < gate.length; i++) {
                gate[i] = (float) xs.get(i).asDouble();
                up[i] = 0.25f * i - 1;
            }
            VectorKernels.activationMultiply(name, gate, up, 0, gate.length);
            for (int i = 0; i < gate.length; i++) {
                double want = golden.get("y").get(name).get(i).asDouble() * up[i];
                assertEquals(want, gate[i], 1e-5 + 1e-5 * Math.abs(want), name + " at " + i);
            }
        }
    }
}
