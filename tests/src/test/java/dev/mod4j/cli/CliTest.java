package dev.mod4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mod4j.loaders.npy.NpyArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static dev.mod4j.loaders.MessageAssertions.assertMentions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line end to end: parity tooling against the PyTorch golden files, exit codes and messages. */
class CliTest {
    @TempDir
    Path tmp;

    static Path golden(String name) throws Exception {
        return Path.of(CliTest.class.getResource("/golden/" + name + "/golden.json").toURI()).getParent();
    }

    static String ids(JsonNode array) {
        return IntStream.range(0, array.size()).mapToObj(i -> array.get(i).asText()).collect(Collectors.joining(","));
    }

    @Test
    void forwardWritesTheReferenceLogitsAndGenerateTheReferenceTokens() throws Exception {
        Path model = golden("llama-gqa-f32");
        JsonNode g = new ObjectMapper().readTree(model.resolve("golden.json").toFile());
        Path logits = tmp.resolve("logits.npy");
        CliRun forward = CliRun.of("forward", "--model", model.toString(), "--input-ids", ids(g.get("input_ids")),
                "--logits-out", logits.toString());
        assertEquals(0, forward.exitCode(), forward.err());
        assertEquals("", forward.err(), "nothing on stderr on success");
        assertTrue(forward.out().startsWith("forward: "), forward.out());
        float[] expected = NpyArray.read(model.resolve("logits.npy")).data();
        float[] actual = NpyArray.read(logits).data();
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-4f, "logit " + i);
        }
        CliRun generate = CliRun.of("generate", "--model", model.toString(), "--input-ids", ids(g.get("input_ids")),
                "--greedy", "--max-new-tokens", "8", "--print-ids", "--stats");
        assertEquals(0, generate.exitCode(), generate.err());
        assertEquals(ids(g.get("greedy_new_tokens")), generate.out().trim());
        assertMentions(generate.err(), "prompt 12 positions", "prefill", "tokens/s");
        // Without --stats the statistics line is for a terminal: this JVM's stderr is a pipe, so nothing.
        CliRun quiet = CliRun.of("generate", "--model", model.toString(), "--input-ids", ids(g.get("input_ids")),
                "--greedy", "--max-new-tokens", "8", "--print-ids");
        assertEquals(0, quiet.exitCode(), quiet.err());
        assertEquals(generate.out(), quiet.out());
        assertEquals("", quiet.err(), "nothing on stderr on success when it is not a terminal");
    }

    @Test
    void inspectReportsTheGoldenModel() throws Exception {
        CliRun run = CliRun.of("inspect", "--model", golden("llama-tied-rope-f32").toString(), "--json");
        assertEquals(0, run.exitCode(), run.err());
        JsonNode s = new ObjectMapper().readTree(run.out());
        assertEquals("llama", s.get("layout").asText());
        assertEquals(2, s.get("dimensions").get("layers").asInt());
        assertEquals(6, s.get("dimensions").get("key_value_heads").asInt());
        CliRun text = CliRun.of("inspect", "--model", golden("llama-gqa-bf16").toString());
        assertMentions(text.out(), "layout      llama", "BF16: 30 tensors", "routers     none", "tokenizer   none",
                "format      safetensors: model.safetensors");
        CliRun pickled = CliRun.of("inspect", "--model",
                golden("llava-original-f32").resolveSibling("llava-original-pytorch").toString());
        assertEquals(0, pickled.exitCode(), pickled.err());
        assertMentions(pickled.out(), "format      pytorch zip: pytorch_model-00001-of-00002.bin,"
                + " pytorch_model-00002-of-00002.bin, mm_projector.bin, clip-vision-tower/pytorch_model.bin");
    }

    @Test
    void inspectNamesASentencePieceTokenizer() throws Exception {
        Path model = java.nio.file.Files.createDirectories(tmp.resolve("spm-model"));
        for (String file : new String[]{"config.json", "model.safetensors"}) {
            java.nio.file.Files.copy(golden("llama-gqa-bf16").resolve(file), model.resolve(file));
        }
        try (var in = CliTest.class.getResourceAsStream("/tokenizer/spm/tokenizer.model")) {
            java.nio.file.Files.copy(in, model.resolve("tokenizer.model"));
        }
        CliRun text = CliRun.of("inspect", "--model", model.toString());
        assertEquals(0, text.exitCode(), text.err());
        assertMentions(text.out(), "tokenizer   SentencePiece tokenizer.model");
    }

    @Test
    void badInputExitsWithTwoAndOneLine() throws Exception {
        String model = golden("llama-gqa-f32").toString();
        assertBadInput(CliRun.of("inspect", "--model", tmp.resolve("missing").toString()), "missing", "no such model directory");
        assertBadInput(CliRun.of("generate", "--model", model, "--input-ids", "1,x"), "--input-ids", "'x'");
        assertBadInput(CliRun.of("generate", "--model", model, "--input-ids", "1,999"), "token id 999", "vocabulary");
        assertBadInput(CliRun.of("generate", "--model", model, "--input-ids", "1,2", "--temperature", "-1"), "--temperature");
        assertBadInput(CliRun.of("generate", "--model", model, "--input-ids", "1,2", "--max-new-tokens", "0"),
                "--max-new-tokens");
        assertBadInput(CliRun.of("generate", "--model", model, "--prompt", "hello"), "no tokenizer.json");
        String longPrompt = IntStream.range(0, 300).mapToObj(i -> "5").collect(Collectors.joining(","));
        assertBadInput(CliRun.of("generate", "--model", model, "--input-ids", longPrompt), "300 positions",
                "context of 256");
        assertBadInput(CliRun.of("forward", "--model", model, "--input-ids", "1", "--pixel-values",
                tmp.resolve("none.npy").toString(), "--logits-out", tmp.resolve("x.npy").toString()), "none.npy");
        CliRun unknownFlag = CliRun.of("generate", "--bogus");
        assertEquals(2, unknownFlag.exitCode());
    }

    @Test
    void arankPrintsTorchsRanksAndAProposedSchedule() throws Exception {
        Path model = golden("llava-hf-f32");
        Path spec = tmp.resolve("gmod.spec");
        CliRun run = CliRun.of("arank", "--model", model.toString(), "--input-ids",
                "1,188,196,278,268,304,383,142,126,240,70,262,201", "--pixel-values",
                model.resolve("pixel_values.npy").toString(), "--spec-out", spec.toString());
        assertEquals(0, run.exitCode(), run.err());
        // Layer means of the per-head ranks torch.linalg.matrix_rank gives (arank.json): 74.75 for layer 5.
        assertMentions(run.out(), "    5     74.75", "released rule arank_mod", "gmod:layers=3,4");
        assertTrue(java.nio.file.Files.readString(spec).startsWith("gmod:layers="));
    }

    @Test
    void debugPrintsTheStackTrace() throws Exception {
        CliRun run = CliRun.of("inspect", "--debug", "--model", tmp.resolve("missing").toString());
        assertEquals(2, run.exitCode());
        assertMentions(run.err(), "ConfigException", "\tat ");
    }

    static void assertBadInput(CliRun run, String... parts) {
        assertEquals(2, run.exitCode(), run.err());
        assertFalse(run.err().contains("\tat "), "no stack trace without --debug: " + run.err());
        assertTrue(run.err().startsWith("mod4j: "), run.err());
        assertEquals(1, run.err().strip().lines().count(), run.err());
        assertMentions(run.err(), parts);
    }
}
