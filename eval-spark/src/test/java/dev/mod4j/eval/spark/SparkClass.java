package dev.mod4j.eval.spark;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Starts a Spark main class as a distribution's {@code bin/spark-class} does (which {@code spark-submit},
 * {@code start-master.sh} and {@code start-worker.sh} call): {@code org.apache.spark.launcher.Main} builds the java
 * command line (class path {@code SPARK_HOME/jars/*}, the JVM options Spark needs, {@code spark.driver.*} options
 * for SparkSubmit) and prints it; the script then runs it. Here {@code SPARK_HOME} is eval-spark's
 * {@code target/spark-home}, whose {@code jars/} the build fills with Spark and its dependencies.
 */
final class SparkClass {
    private SparkClass() {
    }

    /** Starts {@code mainClass args} with {@code env} added, its stdout and stderr going to {@code log}. */
    static Process start(Path sparkHome, Map<String, String> env, Path log, String mainClass, String... args)
            throws IOException, InterruptedException {
        List<String> launcher = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-Xmx128m", "-cp", sparkHome.resolve("jars") + "/*", "org.apache.spark.launcher.Main",
                mainClass));
        launcher.addAll(Arrays.asList(args));
        ProcessBuilder build = new ProcessBuilder(launcher).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
        build.environment().putAll(env);
        build.environment().put("SPARK_HOME", sparkHome.toString());
        Process builder = build.start();
        byte[] printed = builder.getInputStream().readAllBytes();
        if (!builder.waitFor(60, TimeUnit.SECONDS) || builder.exitValue() != 0) {
            builder.destroyForcibly();
            throw new IllegalStateException("Spark's launcher failed for " + mainClass + ": see " + log);
        }
        // spark-class's protocol: a NUL and a newline mark the start, then every argument ends with a NUL.
        String output = new String(printed, StandardCharsets.UTF_8);
        int start = output.indexOf("\0\n");
        if (start < 0) {
            throw new IllegalStateException("Spark's launcher printed no command for " + mainClass + ": " + output);
        }
        List<String> command = Arrays.asList(output.substring(start + 2).split("\0"));
        ProcessBuilder run = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        run.environment().putAll(env);
        run.environment().put("SPARK_HOME", sparkHome.toString());
        return run.start();
    }

    /** Ends {@code process} and every process it started (a Worker's executor JVMs), waiting for them. */
    static void stop(Process process) {
        if (process == null) {
            return;
        }
        List<ProcessHandle> all = new ArrayList<>(process.descendants().toList());
        all.add(process.toHandle());
        all.forEach(ProcessHandle::destroy);
        for (ProcessHandle p : all) {
            try {
                p.onExit().get(20, TimeUnit.SECONDS);
            } catch (Exception e) {
                p.destroyForcibly();
            }
        }
    }
}
