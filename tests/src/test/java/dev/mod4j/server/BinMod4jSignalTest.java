package dev.mod4j.server;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@code bin/mod4j serve} as a service manager runs it: a process whose SIGTERM must reach the JVM. */
class BinMod4jSignalTest {
    /**
     * SIGTERM to bin/mod4j (what systemd, Docker and Kubernetes send to the process they started) reaches java:
     * {@code mod4j serve} stops gracefully, the script exits 0, and no java process is left behind.
     */
    @Test
    void sigtermToBinMod4jStopsTheServerGracefullyAndLeavesNoJava() throws Exception {
        Path root = Path.of("..").toAbsolutePath().normalize();
        assumeTrue(Files.isRegularFile(root.resolve("examples/target/mod4j-examples-0.1.0-SNAPSHOT.jar")),
                "the examples jar is built");
        Path out = Files.createTempFile("serve", ".out");
        Path err = Files.createTempFile("serve", ".err");
        Process script = new ProcessBuilder(root.resolve("bin/mod4j").toString(), "serve", "--model",
                ServeFixture.modelDirectory().toString(), "--port", "0")
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        try {
            long until = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (!Files.readString(out).contains("/v1") && script.isAlive() && System.nanoTime() < until) {
                Thread.sleep(50);
            }
            assertTrue(Files.readString(out).contains("/v1"), Files.readString(out) + Files.readString(err));
            List<ProcessHandle> jvm = script.descendants().filter(h -> h.info().command()
                    .map(c -> c.endsWith("/java")).orElse(false)).toList();
            assertEquals(1, jvm.size(), "one java under the script");
            script.destroy(); // SIGTERM to the script, not to java
            assertTrue(script.waitFor(60, TimeUnit.SECONDS), "the script ended");
            assertEquals(0, script.exitValue(), Files.readString(err));
            assertTrue(Files.readString(out).strip().endsWith("mod4j serve: stopped"), Files.readString(out));
            jvm.getFirst().onExit().get(30, TimeUnit.SECONDS);
            assertTrue(!jvm.getFirst().isAlive(), "java ended with the script");
            assertEquals("", Files.readString(err), "nothing on stderr");
        } finally {
            script.descendants().forEach(ProcessHandle::destroyForcibly);
            script.destroyForcibly();
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
