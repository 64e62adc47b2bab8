package dev.mod4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.mod4j.loaders.MessageAssertions.assertMentions;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * OpenAI's official Node client ({@code openai} on npm, {@value #OPENAI_NODE}) talks to a real loopback server: its
 * answer, its streamed answer and usage equal {@code mod4j generate}'s for the same greedy request and schedule, a
 * bad schedule reaches it as an API error with status 400, and it lists the model. The package is installed with
 * npm into {@code target/openai-node} on first use; without node, npm or the registry the test is skipped, saying
 * why.
 */
class OpenAiNodeClientTest {
    static final String OPENAI_NODE = "openai@4.95.0";
    static final Path INSTALL = Path.of("target", "openai-node").toAbsolutePath();

    @TempDir
    Path tmp;

    @Test
    void officialNodeClientGetsGeneratesAnswerStreamedAndNot() throws Exception {
        Path script = installClient();
        String spec = "pdrop:layers=1,2;ratios=0.5,0.25";
        ServeFixture.Reference expected = ServeFixture.generate(ServeFixture.QUESTION, true, 8, spec);
        ObjectNode input = ServeFixture.JSON.createObjectNode().put("image", ServeFixture.imageDataUrl())
                .put("question", ServeFixture.QUESTION).put("schedule", spec).put("maxTokens", 8);
        Path inputFile = Files.writeString(tmp.resolve("request.json"), input.toString());
        try (ChatServer server = ServeFixture.start(ServeFixture.settings().withApiKey("node-test-key"))) {
            Run run = run(tmp, 120, "node", script.toString(), "http://127.0.0.1:" + server.port() + "/v1",
                    "node-test-key", inputFile.toString());
            assertEquals(0, run.exitCode(), run.output());
            String[] lines = run.output().strip().split("\n");
            JsonNode out = ServeFixture.JSON.readTree(lines[lines.length - 1]);
            assertEquals(expected.text(), out.get("text").asText());
            assertEquals("length", out.get("finish").asText());
            assertEquals(expected.promptPositions(), out.get("usage").get("prompt_tokens").asInt());
            assertEquals(8, out.get("usage").get("completion_tokens").asInt());
            assertEquals("[64,32,16,16]", out.get("mod4j").get("image_tokens_per_layer").toString());
            assertEquals(expected.text(), out.get("streamText").asText());
            assertEquals("length", out.get("streamFinish").asText());
            assertEquals(expected.promptPositions(), out.get("streamUsage").get("prompt_tokens").asInt());
            assertEquals(8, out.get("streamUsage").get("completion_tokens").asInt());
            assertEquals(400, out.get("error").get("status").asInt());
            assertEquals("mod4j.schedule", out.get("error").get("param").asText());
            assertMentions(out.get("error").get("message").asText(), "warp");
            assertEquals("[\"p-mod-tiny\"]", out.get("models").toString());
        }
    }

    /** The client script beside an npm install of the package (once per build directory). */
    static Path installClient() throws Exception {
        Assumptions.assumeTrue(works("node", "--version"), "node is not on the PATH: the OpenAI Node client test"
                + " needs Node.js 18+ (CI has Node 20)");
        Assumptions.assumeTrue(works("npm", "--version"), "npm is not on the PATH: it installs " + OPENAI_NODE);
        Files.createDirectories(INSTALL);
        if (!Files.isRegularFile(INSTALL.resolve("node_modules/openai/package.json"))) {
            Run install = run(INSTALL, 300, "npm", "install", "--prefix", INSTALL.toString(), "--no-audit",
                    "--no-fund", "--no-save", "--loglevel=error", OPENAI_NODE);
            Assumptions.assumeTrue(install.exitCode() == 0 && Files.isRegularFile(INSTALL.resolve(
                    "node_modules/openai/package.json")), "npm could not install " + OPENAI_NODE + " (is the npm"
                    + " registry reachable?): " + install.output().strip());
        }
        Path script = INSTALL.resolve("client.mjs");
        try (InputStream in = OpenAiNodeClientTest.class.getResourceAsStream("/openai-node/client.mjs")) {
            Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
        }
        return script;
    }

    record Run(int exitCode, String output) {
    }

    static Run run(Path directory, long timeoutSeconds, String... command) throws IOException, InterruptedException {
        Path log = Files.createTempFile("node", ".log");
        try {
            Process p = new ProcessBuilder(List.of(command)).directory(directory.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Run(-1, "timed out after " + timeoutSeconds + " s: " + Files.readString(log));
            }
            return new Run(p.exitValue(), Files.readString(log));
        } finally {
            Files.deleteIfExists(log);
        }
    }

    static boolean works(String... command) {
        try {
            return run(Path.of("."), 30, command).exitCode() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
