package dev.mod4j.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --weights q8_0}: generation from the golden LLaVA with its decoder quantized; bad values are one line, in
 * generate, serve and eval alike.
 */
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
        // serve and eval refuse the same way, before a model is loaded or a port bound
        CliTest.assertBadInput(CliRun.of("serve", "--model", model, "--port", "0", "--weights", "int4"),
                "mod4j: --weights: expected q8_0, got 'int4'");
        CliTest.assertBadInput(CliRun.of("serve", "--model", model, "--port", "0", "--weights", "q8_0", "--backend",
                "tornadovm"), "mod4j: --weights: q8_0 runs on the cpu backend only");
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("weights-eval");
        java.nio.file.Path questions = java.nio.file.Files.writeString(dir.resolve("questions.jsonl"),
                "{\"question_id\": 1, \"text\": \"Why?\"}\n");
        CliTest.assertBadInput(CliRun.of("eval", "--model", model, "--questions", questions.toString(),
                "--answers-out", dir.toString(), "--weights", "fp8"), "mod4j: --weights: expected q8_0, got 'fp8'");
    }
}
