package dev.mod4j.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code --weights q8_0}: generation from the golden LLaVA with its decoder quantized; bad values are one line. */
class WeightsCliTest {

    @Test
    void q8_0GeneratesAndBadValuesAreOneLine() throws Exception {
        String model = CliTest.golden("llava-hf-f32").toString();
        CliRun q8 = CliRun.of("generate", "--model", model, "--input-ids", "1,2,5", "--greedy", "--max-new-tokens",
                "2", "--print-ids", "--weights", "q8_0");
        assertEquals(0, q8.exitCode(), q8.err());
        assertTrue(q8.out().strip().matches("\\d+,\\d+"), q8.out());
        CliTest.assertBadInput(CliRun.of("generate", "--model", model, "--input-ids", "1,2,5", "--weights", "q4_0"),
                "mod4j: --weights: expected q8_0, got 'q4_0'");
        CliTest.assertBadInput(CliRun.of("generate", "--model", model, "--input-ids", "1,2,5", "--weights", "q8_0",
                "--backend", "tornadovm"), "mod4j: --weights: q8_0 runs on the cpu backend only");
    }
}
