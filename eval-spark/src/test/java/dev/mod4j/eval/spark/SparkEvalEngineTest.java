package dev.mod4j.eval.spark;

import dev.mod4j.api.DemoAssets;
import org.apache.spark.SparkStageInfo;
import org.apache.spark.SparkStatusTracker;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import scala.Option;

import java.nio.file.Files;
import java.nio.file.Path;
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
    @TempDir
    static Path tmp;
    static Path questions;
    static Map<String, Map<String, String>> plain;

    static DemoEval.Run eval(Path out, String... more) {
        return DemoEval.eval(DemoAssets.model(tmp.resolve("cache")), questions, out, more);
    }

    static Map<String, Map<String, String>> answers(Path dir) throws Exception {
        return DemoEval.answers(dir);
    }

    @BeforeAll
    static void questionsAndThePlainEval() throws Exception {
        questions = DemoEval.writeQuestions(tmp.resolve("q"));
        DemoEval.Run run = eval(tmp.resolve("plain"));
        assertEquals(0, run.exitCode(), run.err());
        plain = answers(tmp.resolve("plain"));
    }

    @Test
    void embeddedSparkGivesThePlainEvalsAnswersAndResumesFromParquet() throws Exception {
        Path out = tmp.resolve("embedded");
        DemoEval.Run run = eval(out, "--engine", "spark", "--engine-option", "master=local[2]");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains((2 * DemoEval.QUESTIONS) + " answers written now"), run.out());
        assertEquals(plain, answers(out));
        assertTrue(Files.exists(out.resolve("answers.parquet").resolve("_SUCCESS")));

        // A driver stopped after the Parquet commit and before the JSONL: the next job appends what is missing.
        Path dense = out.resolve(DemoEval.FILES.getFirst());
        List<String> lines = Files.readAllLines(dense);
        Files.write(dense, lines.subList(0, DemoEval.QUESTIONS - 5));
        DemoEval.Run again = eval(out, "--engine", "spark", "--engine-option", "master=local[2]");
        assertEquals(0, again.exitCode(), again.err());
        assertTrue(again.out().contains("5 answers written now"), again.out());
        assertEquals(plain, answers(out));
    }

    @Test
    void aLocalClusterWithAnExecutorKilledMidwayAnswersEachQuestionOnce() throws Exception {
        Files.createDirectories(Path.of(System.getenv().getOrDefault("SPARK_HOME", "target/spark-home"), "jars"));
        Path out = tmp.resolve("cluster");
        CompletableFuture<DemoEval.Run> job = CompletableFuture.supplyAsync(() -> eval(out, "--engine", "spark",
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
        DemoEval.Run run = job.get(600, TimeUnit.SECONDS);
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
