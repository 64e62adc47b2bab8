package dev.mod4j.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mod4j.api.DemoAssets;
import dev.mod4j.runtime.llava.MultimodalModel;
import dev.mod4j.cli.Mod4j;
import dev.mod4j.loaders.npy.NpyArray;
import dev.mod4j.report.DemoFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static dev.mod4j.loaders.MessageAssertions.assertMentions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code mod4j eval} on the demo model: LLaVA's answer format, accuracy, and resuming after a kill. */
class EvalCliTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    /** {@code count} questions alternating a PNG and a .npy image, yes/no and letter ground truth. */
    Path questions(int count) throws Exception {
        Path images = Files.createDirectories(tmp.resolve("images"));
        ImageIO.write(DemoAssets.picture().toBufferedImage(), "png", images.resolve("scene.png").toFile());
        float[] pixels;
        try (MultimodalModel model = MultimodalModel.load(DemoFixture.model())) {
            pixels = DemoAssets.image().pixelValues(model);
        }
        new NpyArray(new long[]{1, 3, 112, 112}, pixels).write(images.resolve("scene.npy"));
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Map<String, Object> q = new HashMap<>();
            q.put("question_id", i % 3 == 0 ? "q" + i : i);
            q.put("image", i % 2 == 0 ? "scene.png" : "scene.npy");
            q.put("text", i % 2 == 0 ? "Is there a house?\nAnswer the question using a single word or phrase."
                    : "What is on the lake?\nA. A boat\nB. A car\nAnswer with the option's letter.");
            q.put("answer", i % 2 == 0 ? "yes" : "A");
            lines.add(JSON.writeValueAsString(q));
        }
        Path file = tmp.resolve("questions.jsonl");
        Files.write(file, lines);
        return file;
    }

    static String[] args(Path questions, Path out, String... more) {
        List<String> a = new ArrayList<>(List.of("eval", "--model", DemoFixture.model().toString(), "--questions",
                questions.toString(), "--image-folder", questions.getParent().resolve("images").toString(),
                "--schedules", "dense,pdrop", "--answers-out", out.toString(), "--max-new-tokens", "3"));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    record Run(int exitCode, String out, String err) {
    }

    static Run inProcess(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Mod4j.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    static List<JsonNode> answers(Path file) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            out.add(JSON.readTree(line));
        }
        return out;
    }

    @Test
    void writesLlavaFormatAnswersPerScheduleAndPrintsAccuracy() throws Exception {
        Path q = questions(4);
        Path out = tmp.resolve("answers");
        Run run = inProcess(args(q, out, "--model-id", "demo"));
        assertEquals(0, run.exitCode(), run.err());
        List<JsonNode> dense = answers(out.resolve("answers-dense.jsonl"));
        List<JsonNode> pdrop = answers(out.resolve("answers-pdrop_layers_2_4_6_ratios_0.5_0.25_0.125.jsonl"));
        assertEquals(4, dense.size());
        assertEquals(4, pdrop.size());
        JsonNode first = dense.getFirst();
        assertEquals("q0", first.get("question_id").asText());
        assertTrue(dense.get(1).get("question_id").isInt(), "numeric ids stay numbers");
        assertTrue(first.get("prompt").asText().startsWith("Is there a house?"));
        assertTrue(first.has("text") && first.has("answer_id"));
        assertEquals("demo", first.get("model_id").asText());
        assertEquals("dense", first.get("metadata").get("schedule").asText());
        assertEquals("pdrop:layers=2,4,6;ratios=0.5,0.25,0.125", pdrop.getFirst().get("metadata").get("schedule").asText());
        assertTrue(pdrop.getFirst().get("metadata").get("prefill_macs").asLong()
                < first.get("metadata").get("prefill_macs").asLong());
        assertMentions(run.out(), "4 questions × 2 schedules", "8 answers written now", "answered", "accuracy");
        // Both schedules' answers were graded against the 4 ground truths.
        assertTrue(run.out().lines().filter(l -> l.startsWith("dense ") || l.startsWith("pdrop:"))
                .allMatch(l -> l.matches("\\S+\\s+4\\s+4\\s+\\d\\s+\\d+\\.\\d%.*")), run.out());
        assertFalse(run.err().contains("\r"), "no progress bar when stderr is not a terminal");
    }

    @Test
    void resumesAfterBeingKilledMidwayAndAnswersEachQuestionExactlyOnce() throws Exception {
        int count = 8;
        Path q = questions(count);
        Path out = tmp.resolve("answers");
        Path dense = out.resolve("answers-dense.jsonl");
        Path pdrop = out.resolve("answers-pdrop_layers_2_4_6_ratios_0.5_0.25_0.125.jsonl");

        // A separate JVM, paused 250 ms after each answer, killed (SIGKILL) once three answers are on disk.
        String java = ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java");
        List<String> command = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "--add-opens=java.base/java.nio=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow", "-Dmod4j.eval.pauseMillis=250", "-cp",
                System.getProperty("java.class.path"), "dev.mod4j.cli.Mod4j"));
        command.addAll(List.of(args(q, out)));
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("killed-run.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (lines(dense) + lines(pdrop) < 3) {
            assertTrue(process.isAlive(), "the run ended before it could be interrupted: "
                    + Files.readString(tmp.resolve("killed-run.log")));
            assertTrue(System.nanoTime() < deadline, "no answers after 60 s");
            Thread.sleep(20);
        }
        process.destroyForcibly();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        int before = lines(dense) + lines(pdrop);
        assertTrue(before >= 3 && before < 2 * count, "interrupted midway: " + before + " answers");
        // As if the kill had landed in the middle of a write: a torn last line.
        Files.writeString(dense, "{\"question_id\": 7, \"prompt\": \"What is on", StandardOpenOption.APPEND);

        Run resumed = inProcess(args(q, out));
        assertEquals(0, resumed.exitCode(), resumed.err());
        assertMentions(resumed.out(), (2 * count - before) + " answers written now", before + " were there");
        for (Path file : List.of(dense, pdrop)) {
            Map<String, Long> perId = answers(file).stream()
                    .collect(Collectors.groupingBy(a -> a.get("question_id").asText(), Collectors.counting()));
            assertEquals(count, perId.size(), file + ": " + perId);
            assertTrue(perId.values().stream().allMatch(n -> n == 1), file + ": " + perId);
        }

        Run again = inProcess(args(q, out));
        assertMentions(again.out(), "0 answers written now", (2 * count) + " were there");
    }

    static int lines(Path file) throws Exception {
        if (!Files.exists(file)) {
            return 0;
        }
        return (int) Files.readString(file).chars().filter(c -> c == '\n').count();
    }

    @Test
    void badQuestionFilesAreBadInput() throws Exception {
        Path out = tmp.resolve("answers");
        Path q = tmp.resolve("q.jsonl");
        Files.writeString(q, "{\"question_id\": 1, \"text\": \"hi\", \"image\": \"missing.png\"}\n");
        Run missing = inProcess(args(q, out));
        assertEquals(2, missing.exitCode());
        assertMentions(missing.err(), "missing.png", "image of question 1 not found");
        Files.writeString(q, "{\"question_id\": 1, \"text\": \"hi\"}\n{\"text\": \"no id\"}\n");
        Run noId = inProcess(args(q, out));
        assertEquals(2, noId.exitCode());
        assertMentions(noId.err(), "line 2", "question_id");
    }

    @Test
    void llavaFlagNamesScoreABenchmarkAndWriteTheResultsTable() throws Exception {
        Path q = questions(4);
        // POPE's form: a category per question; the labels are the inline yes/no ones (ids 0 and 2).
        List<String> pope = new ArrayList<>();
        for (String line : Files.readAllLines(q)) {
            JsonNode node = JSON.readTree(line);
            if (node.get("answer").asText().equals("yes")) {
                ((com.fasterxml.jackson.databind.node.ObjectNode) node).put("category", "random");
                pope.add(JSON.writeValueAsString(node));
            }
        }
        Files.write(q, pope);
        Path answersFile = tmp.resolve("out").resolve("demo.jsonl");
        Run run = inProcess("eval", "--model-path", DemoFixture.model().toString(), "--question-file", q.toString(),
                "--image-folder", q.getParent().resolve("images").toString(), "--answers-file", answersFile.toString(),
                "--conv-mode", "vicuna_v1", "--temperature", "0", "--max_new_tokens", "3", "--schedules",
                "dense,pdrop", "--benchmark", "pope");
        assertEquals(0, run.exitCode(), run.err());
        Path out = answersFile.getParent();
        assertEquals(2, answers(out.resolve("demo-dense.jsonl")).size());
        assertEquals(2, answers(out.resolve("demo-pdrop_layers_2_4_6_ratios_0.5_0.25_0.125.jsonl")).size());
        List<String> csv = Files.readAllLines(out.resolve("results.csv"));
        assertEquals(3, csv.size(), csv.toString());
        assertTrue(csv.getFirst().startsWith("benchmark,schedule,metric,score,answered,questions,mean_prefill_ms,"
                + "flops_ratio,mean_kv_cache_bytes"), csv.getFirst());
        JsonNode results = JSON.readTree(out.resolve("results.json").toFile());
        dev.mod4j.schema.JsonSchemas.assertValid("eval-results", results);
        assertEquals(2, results.size());
        assertEquals("pope", results.get(0).get("benchmark").asText());
        assertEquals("f1", results.get(0).get("metric").asText());
        assertEquals(1.0, results.get(0).get("flops_ratio").asDouble(), 1e-12, "dense is the FLOPs reference");
        assertTrue(results.get(1).get("flops_ratio").asDouble() < 1.0, results.toString());
        assertTrue(results.get(1).get("mean_kv_cache_bytes").asDouble()
                < results.get(0).get("mean_kv_cache_bytes").asDouble(), results.toString());
        assertTrue(results.get(0).get("mean_prefill_ms").asDouble() > 0);
        String html = Files.readString(out.resolve("results.html"));
        // The score chart as SVG (text kept as text), the PNG beside it the page's fallback.
        assertTrue(html.contains("<img src=\"results-pope.svg\"") && html.contains("this.src='results-pope.png'"), html);
        String svg = Files.readString(out.resolve("results-pope.svg"));
        assertTrue(svg.startsWith("<svg") || svg.startsWith("<?xml"), svg.substring(0, Math.min(80, svg.length())));
        assertTrue(svg.contains("pope"), "the chart's title is SVG text");
        assertTrue(Files.size(out.resolve("results-pope.png")) > 1000);
        assertMentions(run.out(), "4 answers written now", "f1", "results.csv");
    }

    @Test
    void anEngineThatIsNotOnTheClassPathIsBadInput() throws Exception {
        Path q = questions(2);
        Run run = inProcess(args(q, tmp.resolve("answers"), "--engine", "spark"));
        assertEquals(2, run.exitCode());
        assertMentions(run.err(), "--engine", "spark", "mod4j-eval-spark");
    }
}
