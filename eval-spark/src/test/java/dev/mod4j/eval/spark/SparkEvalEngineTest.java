package dev.mod4j.eval.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mod4j.api.DemoAssets;
import dev.mod4j.cli.Mod4j;
import org.apache.spark.SparkStageInfo;
import org.apache.spark.SparkStatusTracker;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import scala.Option;

import javax.imageio.ImageIO;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code mod4j eval --engine spark} against the plain {@code eval} on the demo model, 20 questions under two
 * schedules: embedded ({@code local[2]}), and on Spark's local-cluster (a master, two workers and their executor JVMs
 * on 127.0.0.1) with one executor killed midway. Every question is answered exactly once per schedule, with the
 * plain eval's answers.
 */
class SparkEvalEngineTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String SCHEDULES = "dense,pdrop";
    static final List<String> FILES = List.of("answers-dense.jsonl",
            "answers-pdrop_layers_2_4_6_ratios_0.5_0.25_0.125.jsonl");
    static final int QUESTIONS = 20;

    @TempDir
    static Path tmp;
    static Path questions;
    static Map<String, Map<String, String>> plain;

    record Run(int exitCode, String out, String err) {
    }

    static Run eval(Path out, String... more) {
        List<String> args = new ArrayList<>(List.of("eval", "--model", DemoAssets.model(tmp.resolve("cache")).toString(),
                "--question-file", questions.toString(), "--schedules", SCHEDULES, "--answers-out", out.toString(),
                "--max_new_tokens", "3", "--model-id", "demo"));
        args.addAll(List.of(more));
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        int code = Mod4j.run(args.toArray(String[]::new), new PrintWriter(o, true), new PrintWriter(e, true));
        return new Run(code, o.toString(), e.toString());
    }

    /** Schedule file → question id → answer text; fails when a question is answered twice. */
    static Map<String, Map<String, String>> answers(Path dir) throws Exception {
        Map<String, Map<String, String>> all = new LinkedHashMap<>();
        for (String f : FILES) {
            Map<String, String> texts = new LinkedHashMap<>();
            for (String line : Files.readAllLines(dir.resolve(f))) {
                JsonNode n = JSON.readTree(line);
                String previous = texts.put(n.get("question_id").asText(), n.get("text").asText());
                assertEquals(null, previous, f + ": question " + n.get("question_id") + " answered twice");
            }
            assertEquals(QUESTIONS, texts.size(), f);
            all.put(f, texts);
        }
        return all;
    }

    @BeforeAll
    static void questionsAndThePlainEval() throws Exception {
        Path images = Files.createDirectories(tmp.resolve("q"));
        ImageIO.write(DemoAssets.picture().toBufferedImage(), "png", images.resolve("scene.png").toFile());
        String[] asked = {"Is there a house?", "What is on the lake?", "Describe the picture.", "Is it day?",
                "What colour is the sky?"};
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < QUESTIONS; i++) {
            Map<String, Object> q = new HashMap<>();
            q.put("question_id", i);
            q.put("image", "scene.png");
            q.put("text", asked[i % asked.length] + (i >= asked.length ? " (" + i + ")" : ""));
            lines.add(JSON.writeValueAsString(q));
        }
        questions = images.resolve("questions.jsonl");
        Files.write(questions, lines);
        Run run = eval(tmp.resolve("plain"));
        assertEquals(0, run.exitCode(), run.err());
        plain = answers(tmp.resolve("plain"));
    }

    @Test
    void embeddedSparkGivesThePlainEvalsAnswersAndResumesFromParquet() throws Exception {
        Path out = tmp.resolve("embedded");
        Run run = eval(out, "--engine", "spark", "--engine-option", "master=local[2]");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains((2 * QUESTIONS) + " answers written now"), run.out());
        assertEquals(plain, answers(out));
        assertTrue(Files.exists(out.resolve("answers.parquet").resolve("_SUCCESS")));

        // A driver stopped after the Parquet commit and before the JSONL: the next job appends what is missing.
        Path dense = out.resolve(FILES.getFirst());
        List<String> lines = Files.readAllLines(dense);
        Files.write(dense, lines.subList(0, QUESTIONS - 5));
        Run again = eval(out, "--engine", "spark", "--engine-option", "master=local[2]");
        assertEquals(0, again.exitCode(), again.err());
        assertTrue(again.out().contains("5 answers written now"), again.out());
        assertEquals(plain, answers(out));
    }

    @Test
    void aLocalClusterWithAnExecutorKilledMidwayAnswersEachQuestionOnce() throws Exception {
        Files.createDirectories(Path.of(System.getenv().getOrDefault("SPARK_HOME", "target/spark-home"), "jars"));
        Path out = tmp.resolve("cluster");
        CompletableFuture<Run> job = CompletableFuture.supplyAsync(() -> eval(out, "--engine", "spark",
                "--engine-option", "master=local-cluster[2,1,1024]",
                "--engine-option", "spark.executor.extraClassPath=" + System.getProperty("java.class.path"),
                "--engine-option", "spark.executor.extraJavaOptions=-Dmod4j.eval.pauseMillis=200",
                "--engine-option", "partitions=8"));
        // Once a task of the job has finished (Spark's status tracker, in this process), kill one executor JVM.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(600);
        ProcessHandle killed = null;
        while (killed == null && !job.isDone() && System.nanoTime() < deadline) {
            if (aTaskFinished()) {
                killed = ProcessHandle.current().descendants().filter(SparkEvalEngineTest::isExecutor)
                        .findFirst().orElse(null);
            }
            Thread.sleep(50);
        }
        assertTrue(killed != null, () -> "no executor to kill before the job ended: "
                + (job.isDone() ? job.join() : "still running"));
        killed.destroyForcibly();
        Run run = job.get(600, TimeUnit.SECONDS);
        assertEquals(0, run.exitCode(), run.err());
        assertEquals(plain, answers(out));
    }

    /** An executor JVM: its command line names Spark's executor main class (read from /proc on Linux). */
    private static boolean isExecutor(ProcessHandle p) {
        String command = p.info().commandLine().orElse("");
        try {
            Path cmdline = Path.of("/proc", String.valueOf(p.pid()), "cmdline");
            if (Files.isReadable(cmdline)) {
                command = new String(Files.readAllBytes(cmdline), java.nio.charset.StandardCharsets.UTF_8);
            }
        } catch (java.io.IOException e) {
            // the process ended: not one to kill
        }
        return command.contains("CoarseGrainedExecutorBackend");
    }

    private static boolean aTaskFinished() {
        Option<SparkSession> session = SparkSession.getDefaultSession();
        if (session.isEmpty()) {
            return false;
        }
        SparkStatusTracker tracker = session.get().sparkContext().statusTracker();
        for (int stage : tracker.getActiveStageIds()) {
            Option<SparkStageInfo> info = tracker.getStageInfo(stage);
            if (info.isDefined() && info.get().numCompletedTasks() > 0) {
                return true;
            }
        }
        return false;
    }
}
