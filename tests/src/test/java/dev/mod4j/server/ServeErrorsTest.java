package dev.mod4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mod4j.loaders.InvalidInputException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;

import static dev.mod4j.loaders.MessageAssertions.assertMentions;
import static dev.mod4j.server.ServeFixture.get;
import static dev.mod4j.server.ServeFixture.post;
import static dev.mod4j.server.ServeFixture.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad requests of every class get OpenAI's error object with the specified status, never a stack trace, and the
 * next good request is answered.
 */
class ServeErrorsTest {
    static ChatServer server;
    static String goodAnswer;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() throws Exception {
        server = ServeFixture.start(ServeFixture.settings().withLimits(256 << 10, 4 << 10, Duration.ofMinutes(5)));
        goodAnswer = answer(server);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static String answer(ChatServer s) throws Exception {
        ServeFixture.Response r = post(s, "/v1/chat/completions", request("Hi", false, 3).toString());
        assertEquals(200, r.status(), r.body());
        return r.json().get("choices").get(0).get("message").get("content").asText();
    }

    /** The status and error object of a bad request, then a good request answered as before. */
    static JsonNode assertError(ServeFixture.Response r, int status, String param, String... mentions) throws Exception {
        assertEquals(status, r.status(), r.body());
        assertTrue(r.raw().headers().firstValue("content-type").orElse("").startsWith("application/json"));
        JsonNode error = r.json().get("error");
        assertTrue(error != null && error.get("message").isTextual(), r.body());
        assertTrue(error.has("type") && error.has("param") && error.has("code"), r.body());
        if (param != null) {
            assertEquals(param, error.get("param").asText(), r.body());
        }
        assertMentions(error.get("message").asText(), mentions);
        assertFalse(r.body().contains("\tat ") || r.body().contains("Exception"), "no stack trace: " + r.body());
        assertEquals(goodAnswer, answer(server), "the next good request");
        return error;
    }

    static ServeFixture.Response chat(String body) throws Exception {
        return post(server, "/v1/chat/completions", body);
    }

    @Test
    void malformedJsonAndFieldsOfTheWrongType() throws Exception {
        assertError(chat("{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}"), 400, null, "malformed JSON");
        assertError(chat(""), 400, null, "empty");
        assertError(chat("[1, 2]"), 400, null, "JSON object");
        assertError(chat("{}"), 400, "messages", "'messages' is required");
        ObjectNode hot = request("Hi", false, 3).put("temperature", "hot");
        assertError(chat(hot.toString()), 400, "temperature", "'temperature' must be a number", "a string");
        assertError(chat(request("Hi", false, 3).put("max_tokens", -1).toString()), 400, "max_tokens", ">= 1");
        assertError(chat(request("Hi", false, 3).put("stream", "yes").toString()), 400, "stream", "true or false");
        assertError(chat(request("Hi", false, 3).put("n", 2).toString()), 400, "n", "'n' must be 1");
        assertError(chat(request("Hi", false, 3).put("top_p", 0).toString()), 400, "top_p");
        ObjectNode badRole = request("Hi", false, 3);
        ((ObjectNode) badRole.get("messages").get(0)).put("role", "wizard");
        assertError(chat(badRole.toString()), 400, "messages[0].role", "wizard");
        ObjectNode badPart = request("Hi", false, 3);
        ((ObjectNode) badPart.get("messages").get(0).get("content").get(0)).put("type", "audio");
        assertError(chat(badPart.toString()), 400, "messages[0].content[0].type", "\"text\" or \"image_url\"");
        assertError(chat(request("Hi", false, 3).put("mod4j", "pdrop").toString()), 400, "mod4j", "must be an object");
    }

    @Test
    void badScheduleSpec() throws Exception {
        assertError(chat(ServeFixture.withSchedule(request("Hi", false, 3), "pdrop:layers=9").toString()), 400,
                "mod4j.schedule", "bad schedule 'pdrop:layers=9'", "outside");
        assertError(chat(ServeFixture.withSchedule(request("Hi", false, 3), "warp").toString()), 400,
                "mod4j.schedule", "warp");
    }

    @Test
    void undecodableOversizedAndRefusedImages() throws Exception {
        String where = "messages[0].content (image 1)";
        ObjectNode notAnImage = imageRequest("data:image/png;base64,"
                + Base64.getEncoder().encodeToString("not a png at all".getBytes()));
        assertError(chat(notAnImage.toString()), 400, where, "not a readable PNG or JPEG");
        assertError(chat(imageRequest("data:image/png;base64,@@@").toString()), 400, where, "base64");
        assertError(chat(imageRequest("data:text/plain;base64,aGk=").toString()), 400, where, "data:image/png");
        // the server's image limit is 4 KiB; the golden picture is larger
        assertError(chat(request(ServeFixture.QUESTION, true, 3).toString()), 400, where, "too large", "4096");
        assertError(chat(imageRequest("https://example.com/cat.png").toString()), 400, where,
                "remote image URLs are refused", "--allow-remote-images");
        Path png = Files.copy(ServeFixture.image(), tmp.resolve("cat.png"));
        assertError(chat(imageRequest(png.toUri().toString()).toString()), 400, where, "file: URLs are refused",
                "--image-dir");
    }

    @Test
    void fileUrlsOnlyUnderTheImageDirectory() throws Exception {
        Path allowed = Files.createDirectories(tmp.resolve("images"));
        Path png = Files.copy(ServeFixture.image(), allowed.resolve("cat.png"));
        Path outside = Files.copy(ServeFixture.image(), tmp.resolve("outside.png"));
        try (ChatServer files = ServeFixture.start(ServeFixture.settings().withImageDirectory(allowed))) {
            ServeFixture.Response ok = post(files, "/v1/chat/completions", imageRequest(png.toUri().toString()).toString());
            assertEquals(200, ok.status(), ok.body());
            String dataUrlAnswer = post(files, "/v1/chat/completions", imageRequest(ServeFixture.imageDataUrl()).toString())
                    .json().get("choices").get(0).get("message").get("content").asText();
            assertEquals(dataUrlAnswer, ok.json().get("choices").get(0).get("message").get("content").asText());
            for (String url : new String[]{outside.toUri().toString(), allowed.toUri() + "../outside.png"}) {
                ServeFixture.Response refused = post(files, "/v1/chat/completions", imageRequest(url).toString());
                assertEquals(400, refused.status(), refused.body());
                assertMentions(refused.json().get("error").get("message").asText(), "not a file under the server's"
                        + " image directory");
            }
        }
    }

    static ObjectNode imageRequest(String url) {
        ObjectNode req = request(ServeFixture.QUESTION, false, 3);
        ((com.fasterxml.jackson.databind.node.ArrayNode) req.get("messages").get(0).get("content")).insertObject(0)
                .put("type", "image_url").putObject("image_url").put("url", url);
        return req;
    }

    @Test
    void promptOverTheContextAndTooManyTurns() throws Exception {
        JsonNode error = assertError(chat(request("word ".repeat(400), false, 3).toString()), 400, "messages",
                "positions", "sessions hold 256");
        assertEquals("context_length_exceeded", error.get("code").asText());
        ObjectNode twoTurns = request("Hi", false, 3);
        ((com.fasterxml.jackson.databind.node.ArrayNode) twoTurns.get("messages")).addObject().put("role", "assistant")
                .put("content", "Hello");
        assertError(chat(twoTurns.toString()), 400, "messages", "one user message");
    }

    @Test
    void bodyOverTheLimitUnknownRoutesAndKeys() throws Exception {
        assertError(chat(request("x".repeat(300 << 10), false, 3).toString()), 413, null, "262144 bytes");
        assertError(get(server, "/v1/completions"), 404, null, "no route");
        try (ChatServer keyed = ServeFixture.start(ServeFixture.settings().withApiKey("s3cret"))) {
            String body = request("Hi", false, 3).toString();
            ServeFixture.Response none = post(keyed, "/v1/chat/completions", body);
            assertEquals(401, none.status(), none.body());
            assertEquals("invalid_api_key", none.json().get("error").get("code").asText());
            assertEquals(401, post(keyed, "/v1/chat/completions", body, "Authorization", "Bearer s3cres").status());
            assertEquals(401, get(keyed, "/v1/models", "Authorization", "Bearer s3cret2").status());
            assertEquals(401, get(keyed, "/metrics").status());
            assertEquals(200, get(keyed, "/health").status(), "health needs no key");
            ServeFixture.Response ok = post(keyed, "/v1/chat/completions", body, "Authorization", "Bearer s3cret");
            assertEquals(200, ok.status(), ok.body());
            assertEquals(goodAnswer, ok.json().get("choices").get(0).get("message").get("content").asText());
        }
    }

    @Test
    void startUpRefusesAMemoryPlanThatDoesNotFit() {
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> ServeFixture.start(ServeFixture.settings().withParallel(1_000_000, 0)));
        assertMentions(e.getMessage(), "--parallel", "1000000 sessions of 256 tokens need", "GiB", "heap is free");
    }
}
