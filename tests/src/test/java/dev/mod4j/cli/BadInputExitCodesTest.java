package dev.mod4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mod4j.loaders.layout.ModelFiles;
import dev.mod4j.loaders.npy.NpyArray;
import dev.mod4j.runtime.weights.LlamaWeights;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

import static dev.mod4j.loaders.MessageAssertions.assertMentions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Every documented class of bad input ends with exit status 2 and one line on stderr naming the file, field or
 * flag; none reaches exit 1, which is kept for bugs. Kinds: unreadable or special input files, output paths that
 * cannot be written, config values mod4j refuses, mis-shaped pixel values, option values out of range or unparsable.
 */
@Timeout(120)
class BadInputExitCodesTest {
    @TempDir
    static Path tmp;

    static Path llava;
    static String ids = "1,2,3";

    @BeforeAll
    static void copyModel() throws Exception {
        llava = copy(CliTest.golden("llava-hf-f32"), "llava");
    }

    /** The golden model's config, weights and preprocessor config in a directory of its own. */
    private static Path copy(Path golden, String name) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve(name));
        for (String file : List.of("config.json", "model.safetensors", "preprocessor_config.json")) {
            if (Files.exists(golden.resolve(file))) {
                Files.copy(golden.resolve(file), dir.resolve(file));
            }
        }
        return dir;
    }

    private static Path withConfig(String name, Consumer<ObjectNode> edit) throws Exception {
        Path dir = copy(CliTest.golden("llava-hf-f32"), name);
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(dir.resolve("config.json").toFile());
        edit.accept(config);
        json.writeValue(dir.resolve("config.json").toFile(), config);
        return dir;
    }

    private static Path fifo(String name) throws Exception {
        Path fifo = tmp.resolve(name);
        Files.createDirectories(fifo.getParent());
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        return fifo;
    }

    /** Exit 2, exactly one line, no stack trace, and the line mentions {@code parts}. */
    private static void assertBadInput(CliRun run, String... parts) {
        assertEquals(Mod4j.EXIT_BAD_INPUT, run.exitCode(), run.err());
        assertFalse(run.err().contains("\tat "), run.err());
        assertFalse(run.err().contains("internal error"), run.err());
        assertEquals(1, run.err().strip().lines().count(), run.err());
        assertMentions(run.err(), parts);
    }

    private static CliRun forward(String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("forward", "--model", llava.toString(), "--input-ids",
                ids));
        args.addAll(List.of(more));
        return CliRun.of(args.toArray(String[]::new));
    }

    @Test
    void specialAndOversizedInputFiles() throws Exception {
        Path model = copy(CliTest.golden("llava-hf-f32"), "fifo-config");
        Files.delete(model.resolve("config.json"));
        assertEquals(0, new ProcessBuilder("mkfifo", model.resolve("config.json").toString()).start().waitFor());
        assertBadInput(CliRun.of("inspect", "--model", model.toString()), "config.json", "FIFO");
        assertBadInput(forward("--logits-out", tmp.resolve("l.npy").toString(), "--pixel-values", "/dev/zero"),
                "/dev/zero", "character device");
        assertBadInput(forward("--logits-out", tmp.resolve("l.npy").toString(), "--pixel-values",
                fifo("in/pixels.npy").toString()), "pixels.npy", "FIFO");
        assertBadInput(CliRun.of("generate", "--model", llava.toString(), "--input-ids", ids, "--image",
                fifo("in/photo.png").toString()), "photo.png", "FIFO");
        assertBadInput(CliRun.of("arank", "--model", llava.toString(), "--samples",
                fifo("in/samples.jsonl").toString()), "samples.jsonl", "FIFO");
        Path questions = fifo("in/questions.jsonl");
        assertBadInput(CliRun.of("eval", "--model", llava.toString(), "--questions", questions.toString(),
                "--answers-out", tmp.resolve("answers").toString()), "questions.jsonl", "FIFO");
    }

    @Test
    void outputPathsThatCannotBeWritten() throws Exception {
        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        assertBadInput(forward("--logits-out", tmp.resolve("missing/dir/l.npy").toString()), "l.npy",
                "does not exist");
        assertBadInput(forward("--logits-out", tmp.toString()), "is a directory");
        assertBadInput(forward("--dump-dir", file.resolve("dump").toString()), "dump", "is a file");
        assertBadInput(forward("--logits-out", tmp.resolve("l.npy").toString(), "--trace-out",
                tmp.resolve("missing/trace.arrow").toString()), "trace.arrow", "does not exist");
        assertBadInput(CliRun.of("compare", "--model", llava.toString(), "--input-ids", ids, "--report",
                file.resolve("report").toString()), "report", "is a file");
        assertBadInput(CliRun.of("eval", "--model", llava.toString(), "--questions", questions().toString(),
                "--answers-out", file.toString()), "a-file", "is a file");
        Path answers = Files.createDirectories(tmp.resolve("answers-dir/answers-dense.jsonl")).getParent();
        assertBadInput(CliRun.of("eval", "--model", llava.toString(), "--questions", questions().toString(),
                "--answers-out", answers.toString(), "--schedules", "dense"), "answers-dense.jsonl",
                "is a directory");
    }

    private static Path questions() throws Exception {
        Path q = tmp.resolve("questions.jsonl");
        if (!Files.exists(q)) {
            Files.writeString(q, "{\"question_id\": 1, \"text\": \"Why?\"}\n");
        }
        return q;
    }

    @Test
    void refusedConfigValues() throws Exception {
        assertBadInput(CliRun.of("forward", "--model", withConfig("gelu-bogus",
                c -> ((ObjectNode) c.get("text_config")).put("hidden_act", "bogus")).toString(), "--input-ids", ids,
                "--logits-out", tmp.resolve("l.npy").toString()), "text_config.hidden_act", "'bogus' is not supported");
        assertBadInput(CliRun.of("inspect", "--model", withConfig("projector-act",
                c -> c.put("projector_hidden_act", "nope")).toString()), "projector_hidden_act");
        assertBadInput(CliRun.of("inspect", "--model", withConfig("qwen",
                c -> ((ObjectNode) c.get("text_config")).put("model_type", "qwen2")).toString()),
                "text_config.model_type", "qwen2");
        assertBadInput(CliRun.of("inspect", "--model", withConfig("huge-context",
                c -> ((ObjectNode) c.get("text_config")).put("max_position_embeddings", Integer.MAX_VALUE))
                .toString()), "max_position_embeddings", "over the limit");
    }

    @Test
    void aCropSizeOtherThanTheTowersIsRefusedBeforeAnyImageIsMade() throws Exception {
        // 16384² × 3 floats would be 3 GiB: refused at load, by name, not after allocating the crop.
        Path dir = copy(CliTest.golden("llava-hf-f32"), "huge-crop");
        ObjectMapper json = new ObjectMapper();
        ObjectNode pp = (ObjectNode) json.readTree(dir.resolve("preprocessor_config.json").toFile());
        pp.putObject("crop_size").put("height", 16384).put("width", 16384);
        json.writeValue(dir.resolve("preprocessor_config.json").toFile(), pp);
        Path image = tmp.resolve("crop.png");
        javax.imageio.ImageIO.write(new java.awt.image.BufferedImage(8, 8, java.awt.image.BufferedImage.TYPE_INT_RGB),
                "png", image.toFile());
        assertBadInput(CliRun.of("forward", "--model", dir.toString(), "--input-ids", ids, "--image", image.toString(),
                "--logits-out", tmp.resolve("crop.npy").toString()), "preprocessor_config.json", "crop_size 16384×16384");
    }

    @Test
    void pixelValuesOfTheWrongShapeAreRefusedEvenWithTheRightCount() throws Exception {
        // The tower takes 3×64×64; [1,3,32,128] holds as many values.
        Path npy = tmp.resolve("wide.npy");
        new NpyArray(new long[]{1, 3, 32, 128}, new float[3 * 64 * 64]).write(npy);
        assertBadInput(forward("--logits-out", tmp.resolve("l.npy").toString(), "--pixel-values", npy.toString()),
                "wide.npy", "[1,3,64,64]", "[1, 3, 32, 128]");
    }

    @Test
    void optionValuesOutOfRangeOrUnparsable() throws Exception {
        String out = tmp.resolve("l.npy").toString();
        CliRun overflow = CliRun.of("generate", "--model", llava.toString(), "--prompt", "hi", "--max-new-tokens",
                "99999999999");
        assertBadInput(overflow, "--max-new-tokens", "99999999999", "see mod4j generate --help");
        assertBadInput(CliRun.of("generate", "--prompt", "hi"), "--model", "see mod4j generate --help");
        assertBadInput(forward("--logits-out", out, "--threads", "10000"), "--threads", "4 ×");
        assertBadInput(forward("--logits-out", out, "--threads", "0"), "--threads");
        assertBadInput(forward("--logits-out", out, "--schedule", "fastv:r=0x1p-1"), "--schedule", "0x1p-1",
                "not a number");
        assertBadInput(forward("--logits-out", out, "--schedule", "fastv:r=0.5d"), "--schedule", "0.5d");
        assertBadInput(forward("--logits-out", out, "--schedule", "fastv:k=٣"), "--schedule", "not an integer");
        // picocli would expand @FILE arguments, reading /dev/zero forever.
        assertBadInput(CliRun.of("generate", "@/dev/zero"), "@/dev/zero");
    }

    @Test
    void scheduleErrorsListTheMethodsInOneOrder() {
        String first = forward("--logits-out", tmp.resolve("l.npy").toString(), "--schedule", "bogus").err();
        assertMentions(first, "methods: dense, fastv, pdrop, gmod, pmod");
        assertEquals(first, forward("--logits-out", tmp.resolve("l.npy").toString(), "--schedule", "bogus").err());
    }

    @Test
    void layersTheConfigLeavesUnusedAreNamed() throws Exception {
        Path model = withConfig("fewer-layers", c -> ((ObjectNode) c.get("text_config")).put("num_hidden_layers", 1));
        try (ModelFiles files = ModelFiles.open(model)) {
            List<Integer> all = LlamaWeights.unusedLayers(files);
            assertFalse(all.isEmpty());
            assertEquals(1, all.getFirst());
        }
        try (ModelFiles files = ModelFiles.open(llava)) {
            assertEquals(List.of(), LlamaWeights.unusedLayers(files));
        }
    }
}
