package dev.mod4j.eval.spark;

import dev.mod4j.api.DemoAssets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code spark-submit} of the application jar ({@code target/mod4j-spark-app.jar}) to a real Spark standalone
 * cluster on 127.0.0.1: a Master and two Workers (each a JVM of its own, started as the distribution's scripts start
 * them), the driver in client mode in SparkSubmit's JVM, the executors launched by the Workers. 20 demo-model
 * questions under two schedules: every question is answered exactly once per schedule, with the answers of the plain
 * {@code eval} in this JVM.
 *
 * <p>Runs in the integration-test phase (after {@code package} has built the jar and {@code target/spark-home/jars}),
 * which sets {@code mod4j.sparkApplicationJar}; skipped in the test phase.
 */
class SparkSubmitStandaloneTest {
    static final long STARTUP_SECONDS = 240;
    static final long JOB_SECONDS = 600;

    @TempDir
    Path tmp;

    @Test
    void spark_submitToAStandaloneMasterWithTwoWorkersAnswersEachQuestionOnceAsThePlainEval() throws Exception {
        String jarProperty = System.getProperty("mod4j.sparkApplicationJar");
        assumeTrue(jarProperty != null, "runs in the integration-test phase, once the application jar is packaged");
        Path jar = Path.of(jarProperty);
        Path sparkHome = Path.of(System.getProperty("mod4j.sparkHome"));
        assertTrue(Files.isRegularFile(jar), jar + " is missing");
        assertTrue(Files.isDirectory(sparkHome.resolve("jars")), sparkHome + "/jars is missing");

        Path model = DemoAssets.model(tmp.resolve("cache"));
        Path questions = DemoEval.writeQuestions(tmp.resolve("q"));
        DemoEval.Run plainRun = DemoEval.eval(model, questions, tmp.resolve("plain"));
        assertEquals(0, plainRun.exitCode(), plainRun.err());
        Map<String, Map<String, String>> plain = DemoEval.answers(tmp.resolve("plain"));

        // Loopback only; no REST submission server (its fixed port 6066 could be taken by another build here).
        Map<String, String> env = Map.of("SPARK_SCALA_VERSION", "2.13", "SPARK_LOCAL_IP", "127.0.0.1",
                "SPARK_MASTER_OPTS", "-Dspark.master.rest.enabled=false", "SPARK_LOG_DIR", tmp.toString());
        Path logs = Files.createDirectories(tmp.resolve("logs"));
        int port = freePort();
        String master = "spark://127.0.0.1:" + port;
        List<Process> started = new ArrayList<>();
        try {
            started.add(SparkClass.start(sparkHome, env, logs.resolve("master.log"),
                    "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", String.valueOf(port),
                    "--webui-port", "0"));
            awaitLog(logs.resolve("master.log"), "I have been elected leader", 1, started);
            for (int w = 1; w <= 2; w++) {
                Path work = Files.createDirectories(tmp.resolve("worker" + w));
                started.add(SparkClass.start(sparkHome, env, logs.resolve("worker" + w + ".log"),
                        "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--webui-port", "0",
                        "--cores", "1", "--memory", "1g", "--work-dir", work.toString(), master));
            }
            awaitLog(logs.resolve("master.log"), "Registering worker", 2, started);

            // What the README's spark-submit line runs (spark-submit = spark-class SparkSubmit).
            List<String> submit = new ArrayList<>(List.of("--master", master, "--deploy-mode", "client",
                    "--class", "dev.mod4j.cli.Mod4j",
                    "--conf", "spark.driver.extraJavaOptions=" + SparkEvalEngine.EXECUTOR_JAVA_OPTIONS,
                    "--conf", "spark.executor.extraJavaOptions=" + SparkEvalEngine.EXECUTOR_JAVA_OPTIONS,
                    "--conf", "spark.executor.memory=768m", "--conf", "spark.ui.enabled=false",
                    jar.toString()));
            submit.addAll(DemoEval.arguments(model, questions, tmp.resolve("cluster")));
            submit.addAll(List.of("--engine", "spark", "--engine-option", "partitions=8"));
            Process driver = SparkClass.start(sparkHome, env, logs.resolve("submit.log"),
                    "org.apache.spark.deploy.SparkSubmit", submit.toArray(String[]::new));
            started.add(driver);
            boolean ended = driver.waitFor(JOB_SECONDS, TimeUnit.SECONDS);
            String log = Files.readString(logs.resolve("submit.log"));
            assertTrue(ended, () -> "spark-submit did not end in " + JOB_SECONDS + " s:\n" + log);
            assertEquals(0, driver.exitValue(), log);
            assertTrue(log.contains((2 * DemoEval.QUESTIONS) + " answers written now"), log);
            assertEquals(plain, DemoEval.answers(tmp.resolve("cluster")));
            // Both Workers launched an executor for the job (each executor's folder holds the fetched jar).
            for (int w = 1; w <= 2; w++) {
                try (Stream<Path> files = Files.walk(tmp.resolve("worker" + w), 3)) {
                    assertTrue(files.anyMatch(f -> f.getFileName().equals(jar.getFileName())),
                            "worker " + w + " ran no executor of the job");
                }
            }
        } finally {
            started.reversed().forEach(SparkClass::stop);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            return s.getLocalPort();
        }
    }

    /** Waits until {@code log} holds {@code line} {@code times} times; fails when a process ends or time runs out. */
    private static void awaitLog(Path log, String line, int times, List<Process> processes) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(STARTUP_SECONDS);
        while (System.nanoTime() < deadline) {
            String text = Files.exists(log) ? Files.readString(log) : "";
            if (text.split(java.util.regex.Pattern.quote(line), -1).length - 1 >= times) {
                return;
            }
            for (Process p : processes) {
                assertTrue(p.isAlive(), () -> "a Spark process ended (exit " + p.exitValue() + "):\n" + text);
            }
            Thread.sleep(200);
        }
        throw new AssertionError("no '" + line + "' ×" + times + " in " + log + " within " + STARTUP_SECONDS + " s");
    }
}
