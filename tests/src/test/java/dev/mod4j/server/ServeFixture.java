package dev.mod4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mod4j.cli.Mod4j;
import dev.mod4j.loaders.tokenizer.Tokenizer;
import dev.mod4j.runtime.generate.PromptFormat;
import dev.mod4j.runtime.llava.MultimodalModel;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * What the server tests share: the tiny p-MoD checkpoint of the end-to-end goldens (BF16 shards, embedded CLIP tower,
 * SentencePiece tokenizer, LLaVA's vicuna_v1 prompt), loaded once per JVM; servers on loopback ports; requests in
 * OpenAI's shape; and {@code mod4j generate}'s answers to the same requests, the reference.
 */
final class ServeFixture {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String QUESTION = "Describe the image in detail.";
    private static MultimodalModel model;
    private static final Map<String, Reference> REFERENCES = new ConcurrentHashMap<>();

    /** {@code mod4j generate}'s text and prompt positions for one request. */
    record Reference(String text, int promptPositions) {
    }

    private ServeFixture() {
    }

    static Path modelDirectory() {
        try {
            return Path.of(ServeFixture.class.getResource("/golden/e2e/p-mod-tiny/config.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Path image() {
        return modelDirectory().resolveSibling("image.png");
    }

    static synchronized MultimodalModel model() {
        if (model == null) {
            model = MultimodalModel.load(modelDirectory());
        }
        return model;
    }

    /** A server over the shared model (close it; the model stays loaded). */
    static ChatServer start(ServerSettings settings) {
        return ChatServer.start(model(), Tokenizer.load(modelDirectory()), PromptFormat.select(null, modelDirectory(),
                true), settings);
    }

    static ServerSettings settings() {
        return ServerSettings.loopback("p-mod-tiny", 256);
    }

    static String imageDataUrl() {
        try {
            return "data:image/png;base64," + Base64.getEncoder().encodeToString(Files.readAllBytes(image()));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** One user message: the picture (as a data URL) then the question, or the question alone. */
    static ObjectNode request(String question, boolean withImage, int maxTokens) {
        ObjectNode body = JSON.createObjectNode();
        body.put("model", "p-mod-tiny");
        ObjectNode message = body.putArray("messages").addObject();
        message.put("role", "user");
        ArrayNode content = message.putArray("content");
        if (withImage) {
            content.addObject().put("type", "image_url").putObject("image_url").put("url", imageDataUrl());
        }
        content.addObject().put("type", "text").put("text", question);
        body.put("max_tokens", maxTokens);
        body.put("temperature", 0);
        return body;
    }

    static ObjectNode withSchedule(ObjectNode request, String spec) {
        request.putObject("mod4j").put("schedule", spec);
        return request;
    }

    /** The system message of the multi-turn requests. */
    static final String SYSTEM = "You are a terse assistant.";
    static final String FIRST_QUESTION = "What is in the picture?";
    static final String FIRST_ANSWER = "A cat on a sofa.";
    /**
     * The multi-turn request's prompt as LLaVA builds it for this checkpoint (conv_vicuna_v1 of llava/conversation.py,
     * its system replaced by the system message; SeparatorStyle.TWO: " " after a user turn, "</s>" after an
     * assistant turn, then the answer's bare "ASSISTANT:"), written out by hand.
     */
    static final String CONVERSATION_PROMPT = SYSTEM + " USER: <image>\n" + FIRST_QUESTION + " ASSISTANT: "
            + FIRST_ANSWER + "</s>USER: " + QUESTION + " ASSISTANT:";

    /** A system message, a first user turn with the picture, the assistant's answer, then the question. */
    static ObjectNode conversationRequest(int maxTokens) {
        ObjectNode body = JSON.createObjectNode();
        body.put("model", "p-mod-tiny");
        ArrayNode messages = body.putArray("messages");
        messages.addObject().put("role", "system").put("content", SYSTEM);
        ArrayNode first = messages.addObject().put("role", "user").putArray("content");
        first.addObject().put("type", "image_url").putObject("image_url").put("url", imageDataUrl());
        first.addObject().put("type", "text").put("text", FIRST_QUESTION);
        messages.addObject().put("role", "assistant").put("content", FIRST_ANSWER);
        messages.addObject().put("role", "user").put("content", QUESTION);
        body.put("max_tokens", maxTokens);
        body.put("temperature", 0);
        return body;
    }

    /** {@code mod4j generate --greedy} on the same prompt, image and schedule (cached per request). */
    static Reference generate(String question, boolean withImage, int maxTokens, String schedule) {
        return generate(question, withImage, maxTokens, schedule, List.of());
    }

    /** {@code mod4j generate --greedy --template plain} on an already rendered prompt ({@code <image>} marked). */
    static Reference generateRendered(String prompt, boolean withImage, int maxTokens, String schedule) {
        return generate(prompt, withImage, maxTokens, schedule, List.of("--template", "plain"));
    }

    private static Reference generate(String question, boolean withImage, int maxTokens, String schedule,
                                      List<String> options) {
        return REFERENCES.computeIfAbsent(question + "|" + withImage + "|" + maxTokens + "|" + schedule + "|"
                + options, k -> {
            List<String> args = new ArrayList<>(List.of("generate", "--model", modelDirectory().toString(),
                    "--prompt", question, "--greedy", "--max-new-tokens", Integer.toString(maxTokens),
                    "--schedule", schedule, "--stats"));
            args.addAll(options);
            if (withImage) {
                args.addAll(List.of("--image", image().toString()));
            }
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int code = Mod4j.run(args.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true));
            assertEquals(0, code, err.toString());
            Matcher positions = Pattern.compile("prompt (\\d+) positions").matcher(err.toString());
            if (!positions.find()) {
                throw new AssertionError("no prompt length in generate's statistics: " + err);
            }
            String text = out.toString();
            // generate ends its answer with a newline (println); the answer itself is what came before it
            return new Reference(text.substring(0, text.length() - System.lineSeparator().length()),
                    Integer.parseInt(positions.group(1)));
        });
    }

    /** A response: status, headers, body (JSON when it parses). */
    record Response(int status, HttpResponse<String> raw) {
        JsonNode json() {
            try {
                return JSON.readTree(raw.body());
            } catch (java.io.IOException e) {
                throw new AssertionError("not JSON: " + raw.body(), e);
            }
        }

        String body() {
            return raw.body();
        }
    }

    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    static Response post(ChatServer server, String path, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(server, path)).timeout(Duration.ofSeconds(120))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            b.headers(headers);
        }
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Response(r.statusCode(), r);
    }

    static Response get(ChatServer server, String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(server, path)).timeout(Duration.ofSeconds(30)).GET();
        if (headers.length > 0) {
            b.headers(headers);
        }
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Response(r.statusCode(), r);
    }

    static URI uri(ChatServer server, String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    /** The {@code data:} payloads of a server-sent-events body, in order. */
    static List<String> events(String body) {
        List<String> data = new ArrayList<>();
        for (String line : body.split("\n")) {
            if (line.startsWith("data:")) {
                data.add(line.substring(5).strip());
            }
        }
        return data;
    }

    /** A streamed answer put together: the content deltas, the finish reason, the usage chunk's object. */
    record Streamed(String text, String finishReason, JsonNode usage, JsonNode mod4j, boolean done) {
    }

    static Streamed streamed(String body) throws Exception {
        StringBuilder text = new StringBuilder();
        String finish = null;
        JsonNode usage = null;
        JsonNode mod4j = null;
        boolean done = false;
        for (String event : events(body)) {
            if (event.equals("[DONE]")) {
                done = true;
                continue;
            }
            JsonNode chunk = JSON.readTree(event);
            if (chunk.has("error")) {
                throw new AssertionError("error event: " + event);
            }
            if (chunk.hasNonNull("usage")) {
                usage = chunk.get("usage");
            }
            for (JsonNode choice : chunk.get("choices")) {
                text.append(choice.path("delta").path("content").asText(""));
                if (!choice.path("finish_reason").isNull()) {
                    finish = choice.get("finish_reason").asText();
                    mod4j = chunk.get("mod4j");
                }
            }
        }
        return new Streamed(text.toString(), finish, usage, mod4j, done);
    }
}
