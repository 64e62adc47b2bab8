package dev.mod4j.notebook;

import dev.mod4j.report.DemoFixture;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs every JShell notebook in examples/notebooks through bin/notebook, headless, against the demo model, with this
 * build's class path; a notebook that throws, fails to compile or does not print what it shows breaks the build.
 */
class NotebooksTest {
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    static final Path NOTEBOOKS = ROOT.resolve("examples/notebooks");

    /** A line each notebook prints when it ran to its end. */
    static final Map<String, String> LAST_OUTPUT = Map.of(
            "01-quick-start.jsh", "pdrop prefill MACs:",
            "02-compare-schedules.jsh", "report: file:",
            "03-routing-trace.jsh", "trace: ",
            "04-custom-schedule.jsh", "every-other-patch:from=2",
            "05-tornadovm.jsh", "TornadoVM");

    static Stream<String> notebooks() throws IOException {
        try (Stream<Path> files = Files.list(NOTEBOOKS)) {
            List<String> names = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".jsh")).sorted().toList();
            assertEquals(LAST_OUTPUT.keySet().stream().sorted().toList(), names, "every notebook is checked here");
            return names.stream();
        }
    }

    @TempDir
    Path tmp;

    /** Notebooks are written against the library (mod4j-api, runtime, loaders) and the report, not the CLI. */
    @ParameterizedTest
    @MethodSource("notebooks")
    void notebookDoesNotImportTheCli(String name) throws IOException {
        String source = Files.readString(NOTEBOOKS.resolve(name));
        assertFalse(source.contains("dev.mod4j.cli"), name + " uses dev.mod4j.cli; use dev.mod4j.api (e.g. DemoAssets)");
    }

    @ParameterizedTest
    @MethodSource("notebooks")
    void notebookRunsToTheEnd(String name) throws Exception {
        DemoFixture.model();
        Path log = tmp.resolve("notebook.log");
        ProcessBuilder pb = new ProcessBuilder("bash", ROOT.resolve("bin/notebook").toString(),
                NOTEBOOKS.resolve(name).toString()).redirectErrorStream(true).redirectOutput(log.toFile());
        // jshell refuses class-path entries that do not exist (surefire lists tests/target/classes, which may not).
        String classPath = Stream.of(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
                .filter(e -> Files.exists(Path.of(e))).collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
        pb.environment().put("MOD4J_CLASSPATH", classPath);
        pb.environment().put("MOD4J_CACHE", DemoFixture.cacheRoot().toString());
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        // The notebooks' reports and traces go to java.io.tmpdir of jshell's VM: keep them in this test's directory.
        pb.environment().put("MOD4J_JAVA_OPTS", "-Djava.io.tmpdir=" + tmp);
        Process p = pb.start();
        boolean done = p.waitFor(180, TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly();
        }
        String output = Files.readString(log);
        assertTrue(done, name + " did not finish in 180 s:\n" + output);
        assertEquals(0, p.exitValue(), name + " failed:\n" + output);
        assertFalse(output.contains("Exception"), name + ":\n" + output);
        assertTrue(output.contains(LAST_OUTPUT.get(name)), name + " did not run to its end:\n" + output);
    }
}
