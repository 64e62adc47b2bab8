package dev.mod4j.golden;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mod4j.loaders.config.HubCache;
import dev.mod4j.loaders.config.ModelConfig;
import dev.mod4j.loaders.npy.NpyArray;
import dev.mod4j.loaders.tokenizer.Tokenizer;
import dev.mod4j.runtime.generate.PromptEncoder;
import dev.mod4j.runtime.generate.PromptTemplate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static dev.mod4j.loaders.FloatAssertions.assertClose;
import static dev.mod4j.loaders.MessageAssertions.assertMentions;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 19's "Done means": checkpoints written the way the seeds' repositories ship them run from a text prompt and a
 * PNG through the CLI to the reference's input ids, pixel values, logits and greedy ids (tests/golden/
 * generate_e2e_golden.py: LLaVA's conv_vicuna_v1 prompt, tokenizer_image_token over transformers' slow
 * LlamaTokenizer on SentencePiece, process_images with pad, float64 CLIP/LLaVA/p-MoD from the stored weights).
 * The CLI runs as its own process, so that the HuggingFace cache comes from {@code HF_HUB_CACHE} as for a user.
 */
class SeedCheckpointsEndToEndTest {
    static final String TOWER_ID = "openai/clip-vit-large-patch14-336";

    @TempDir
    Path tmp;

    /** liuhaotian/llava-v1.5-7b's shape: float16 pickled shards, mm_projector.bin, tokenizer.model, tower by hub id. */
    @Test
    void llavaV15AsLiuhaotianShipsItRunsFromPromptAndPngLikeLlavasOwnCode() throws Exception {
        Path e2e = e2e();
        Path model = e2e.resolve("llava-v1.5-tiny");
        Path hub = e2e.resolve("hub");
        JsonNode golden = golden(model);
        String snapshot = golden.get("tower_snapshot").asText();

        Path tower = ModelConfig.load(model, null, new HubCache(hub)).visionTowerDirectory();
        assertEquals(snapshot, tower.getFileName().toString(), "refs/main's snapshot, not the other one");

        String inspect = cli(hub, "inspect", "--model", model.toString());
        assertMentions(inspect, "format      pytorch zip: pytorch_model-00001-of-00002.bin, pytorch_model-00002-of-00002.bin"
                        + ", mm_projector.bin; safetensors: model.safetensors (vision tower)",
                "tokenizer   ", "tokenizer.model", "tower       HuggingFace cache: ", "models--openai--clip-vit-large"
                        + "-patch14-336/snapshots/" + snapshot);
        assertMentions(inspect.toLowerCase(), "sentencepiece");
        assertEndToEnd(model, hub, golden, "logits.npy", "greedy_new_tokens");
    }

    /** p-MoD-LLaVA-v1.5-7B's shape: BF16 safetensors shards, tokenizer.model only, the CLIP tower embedded. */
    @Test
    void pModAsMcgNjuShipsItRunsFromPromptAndPngDenseAndWithItsSchedule() throws Exception {
        Path e2e = e2e();
        Path model = e2e.resolve("p-mod-tiny");
        Path emptyHub = Files.createDirectories(tmp.resolve("empty-hub"));
        JsonNode golden = golden(model);

        String inspect = cli(emptyHub, "inspect", "--model", model.toString());
        assertMentions(inspect, "format      safetensors: model-00001-of-00002.safetensors, model-00002-of-00002"
                        + ".safetensors", "tokenizer.model", "tower       embedded in the checkpoint; config from the"
                        + " tensor shapes and the known config of " + TOWER_ID, "p-MoD routers in 3 layers 1-3");
        assertMentions(inspect.toLowerCase(), "sentencepiece");
        assertEndToEnd(model, emptyHub, golden, "logits.npy", "greedy_new_tokens");

        String pmod = cli(emptyHub, "generate", "--model", model.toString(), "--image", e2e.resolve("image.png")
                .toString(), "--prompt", golden.get("question").asText(), "--greedy", "--max-new-tokens", "8",
                "--print-ids", "--schedule", "pmod");
        assertEquals(ints(golden, "pmod_greedy_new_tokens"), pmod.strip(), "p-MoD greedy ids");
    }

    /** Input ids (in process, the CLI's own steps), then pixel values, logits and greedy ids from the CLI. */
    private void assertEndToEnd(Path model, Path hub, JsonNode golden, String logitsFile, String tokensField)
            throws Exception {
        Path e2e = model.getParent();
        String question = golden.get("question").asText();
        String conversation = PromptTemplate.byName("vicuna_v1").apply(question, 1);
        assertEquals(golden.get("prompt").asText(), conversation, "LLaVA's conv_vicuna_v1 prompt");
        int[] ids = PromptEncoder.encode(Tokenizer.load(model), conversation, -200);
        assertArrayEquals(intArray(golden, "input_ids"), ids, "input ids (tokenizer_image_token)");

        Path dump = Files.createDirectories(tmp.resolve(model.getFileName() + "-dump"));
        String png = e2e.resolve("image.png").toString();
        cli(hub, "forward", "--model", model.toString(), "--image", png, "--prompt", question, "--dump-dir",
                dump.toString());
        float[] pixels = NpyArray.read(dump.resolve("pixel_values.npy")).data();
        assertArrayEquals(NpyArray.read(e2e.resolve("pixel_values.npy")).data(), pixels, "pixel values");
        NpyArray logits = NpyArray.read(dump.resolve("logits.npy"));
        NpyArray expected = NpyArray.read(model.resolve(logitsFile));
        assertArrayEquals(expected.shape(), logits.shape(), "logits shape [merged positions, vocab]");
        assertClose(expected.data(), logits.data(), LlavaGoldenTest.TOLERANCE, "prompt logits");

        String generated = cli(hub, "generate", "--model", model.toString(), "--image", png, "--prompt", question,
                "--greedy", "--max-new-tokens", "8", "--print-ids");
        assertEquals(ints(golden, tokensField), generated.strip(), "greedy ids");
        String text = cli(hub, "generate", "--model", model.toString(), "--image", png, "--prompt", question,
                "--greedy", "--max-new-tokens", "8");
        assertEquals(Tokenizer.load(model).decode(intArray(golden, tokensField)), text.strip(), "greedy text");
    }

    /** Runs {@code mod4j args} in a new JVM with {@code HF_HUB_CACHE=hub} and an empty home; returns its stdout. */
    private String cli(Path hub, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // the test JVM's module and access flags (the Vector API), not its agents
        ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> !a.startsWith("-javaagent") && !a.startsWith("-agentlib")).forEach(command::add);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.mod4j.cli.Mod4j"));
        command.addAll(Arrays.asList(args));
        Path home = Files.createDirectories(tmp.resolve("home"));
        Path out = Files.createTempFile(tmp, "out", ".txt");
        Path err = Files.createTempFile(tmp, "err", ".txt");
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("HF_") || k.startsWith("HUGGINGFACE_")
                || k.equals("XDG_CACHE_HOME"));
        pb.environment().put("HF_HUB_CACHE", hub.toString());
        pb.environment().put("HOME", home.toString());
        Process p = pb.start();
        assertTrue(p.waitFor(180, TimeUnit.SECONDS), "mod4j " + args[0] + " timed out");
        String stdout = Files.readString(out);
        assertEquals(0, p.exitValue(), "mod4j " + String.join(" ", args) + "\n" + Files.readString(err) + stdout);
        return stdout;
    }

    static Path e2e() throws URISyntaxException {
        return Path.of(SeedCheckpointsEndToEndTest.class.getResource("/golden/e2e/image.png").toURI()).getParent();
    }

    static JsonNode golden(Path model) throws IOException {
        return new ObjectMapper().readTree(model.resolve("golden.json").toFile());
    }

    static int[] intArray(JsonNode golden, String field) {
        JsonNode a = golden.get(field);
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asInt();
        }
        return out;
    }

    static String ints(JsonNode golden, String field) {
        return Arrays.stream(intArray(golden, field)).mapToObj(Integer::toString).collect(Collectors.joining(","));
    }
}
