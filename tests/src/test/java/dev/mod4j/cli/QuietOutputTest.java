package dev.mod4j.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** What a user sees on stderr: nothing on success, one line on a bad option. */
class QuietOutputTest {
    @Test
    void aMisspeltOptionIsOneLineWithPicocliSuggestionEvenWhenARequiredOneIsMissing() {
        CliRun run = CliRun.of("generate", "--temprature", "0.5");
        assertEquals(Mod4j.EXIT_BAD_INPUT, run.exitCode());
        assertEquals(1, run.err().lines().count(), run.err());
        assertTrue(run.err().startsWith("mod4j generate: Unknown option"), run.err());
        assertTrue(run.err().matches("(?s).*did you mean .*--temperature.*"), run.err());
        assertEquals("", run.out());
    }

    @Test
    void aMissingRequiredOptionIsOneLine() {
        CliRun run = CliRun.of("compare");
        assertEquals(Mod4j.EXIT_BAD_INPUT, run.exitCode());
        assertEquals(List.of("mod4j compare: Missing required option: '--model=DIR'; see mod4j compare --help"),
                run.err().lines().toList());
    }

    /** bin/mod4j as a user runs it (the jars are built by the time this module's tests run). */
    @Test
    void binMod4jDropsTheIncubatorWarningAndKeepsStdoutStderrAndTheExitCode() throws Exception {
        Path root = Path.of("..").toAbsolutePath().normalize();
        assumeTrue(Files.isRegularFile(root.resolve("examples/target/mod4j-examples-0.1.0-SNAPSHOT.jar")),
                "the examples jar is built");
        Result version = run(root, "--version");
        assertEquals(0, version.exitCode(), version.err());
        assertEquals("", version.err());
        assertTrue(version.out().startsWith("mod4j "), version.out());

        Result bad = run(root, "generate", "--temprature", "0.5");
        assertEquals(Mod4j.EXIT_BAD_INPUT, bad.exitCode());
        assertEquals(1, bad.err().lines().count(), bad.err());
        assertTrue(bad.err().matches("(?s).*did you mean .*--temperature.*"), bad.err());
    }

    /**
     * A piped run that writes its random model the first time and copies it into memory: no progress and nothing
     * else on stderr (the README's promise), the table on stdout.
     */
    @Test
    void aPipedRunPrintsNoProgressAndNothingOnStderr(@TempDir Path cache) throws Exception {
        Path root = Path.of("..").toAbsolutePath().normalize();
        assumeTrue(Files.isRegularFile(root.resolve("examples/target/mod4j-examples-0.1.0-SNAPSHOT.jar")),
                "the examples jar is built");
        // bench writes its model in a child JVM, whose standard error passes through this one's (bench-schedules,
        // which writes its own in-process, is checked in JsonOutputSchemasTest: one JVM start here is enough).
        Result bench = run(root, "bench", "--shape", "tiny", "--dtypes", "BF16", "--load", "copy", "--prompt-tokens",
                "8", "--decode-tokens", "4", "--repeats", "1", "--cache-dir", cache.toString());
        assertEquals(0, bench.exitCode(), bench.err());
        assertEquals("", bench.err());
        assertTrue(bench.out().contains("BF16   copy"), bench.out());
    }

    private record Result(int exitCode, String out, String err) {
    }

    private static Result run(Path root, String... args) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>(List.of(root.resolve("bin/mod4j").toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        var err = p.getErrorStream();
        var out = p.getInputStream();
        String stdout = new String(out.readAllBytes(), StandardCharsets.UTF_8);
        String stderr = new String(err.readAllBytes(), StandardCharsets.UTF_8);
        return new Result(p.waitFor(), stdout, stderr);
    }
}
