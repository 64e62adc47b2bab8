package dev.mod4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static dev.mod4j.server.ServeFixture.generate;
import static dev.mod4j.server.ServeFixture.get;
import static dev.mod4j.server.ServeFixture.post;
import static dev.mod4j.server.ServeFixture.request;
import static dev.mod4j.server.ServeFixture.withSchedule;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code POST /v1/chat/completions} over plain HTTP on a real loopback server: answers (JSON and server-sent events)
 * equal {@code mod4j generate}'s for the same greedy request and schedule, usage counts the prompt's positions with
 * the image rows, and the {@code mod4j} object reports what the schedule did.
 */
class ChatCompletionsTest {
    static ChatServer server;

    @BeforeAll
    static void start() {
        server = ServeFixture.start(ServeFixture.settings().withParallel(2, 8).withSchedule("dense"));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void answerWithAnImageEqualsGenerateAndCountsImageRowsInUsage() throws Exception {
        ServeFixture.Reference expected = generate(ServeFixture.QUESTION, true, 8, "dense");
        ServeFixture.Response r = post(server, "/v1/chat/completions", request(ServeFixture.QUESTION, true, 8).toString());
        assertEquals(200, r.status(), r.body());
        JsonNode body = r.json();
        assertEquals("chat.completion", body.get("object").asText());
        assertEquals("p-mod-tiny", body.get("model").asText());
        JsonNode choice = body.get("choices").get(0);
        assertEquals("assistant", choice.get("message").get("role").asText());
        assertEquals(expected.text(), choice.get("message").get("content").asText());
        assertEquals("length", choice.get("finish_reason").asText());
        // 71 text positions + 64 image rows, as generate counts them
        assertEquals(expected.promptPositions(), body.get("usage").get("prompt_tokens").asInt());
        assertEquals(8, body.get("usage").get("completion_tokens").asInt());
        assertEquals(expected.promptPositions() + 8, body.get("usage").get("total_tokens").asInt());
        JsonNode stats = body.get("mod4j");
        assertEquals("dense", stats.get("schedule").asText());
        assertEquals("[64,64,64,64]", stats.get("image_tokens_per_layer").toString());
        assertEquals(1.0, stats.get("prefill_flops_ratio").asDouble(), 1e-12);
        assertTrue(stats.get("kv_cache_bytes").asLong() > 0);
    }

    @Test
    void streamedAnswerUnderAPerRequestScheduleEqualsGenerateUnderIt() throws Exception {
        String spec = "pdrop:layers=1,2;ratios=0.5,0.25";
        ServeFixture.Reference expected = generate(ServeFixture.QUESTION, true, 8, spec);
        ObjectNode req = withSchedule(request(ServeFixture.QUESTION, true, 8), spec);
        req.put("stream", true);
        req.putObject("stream_options").put("include_usage", true);
        ServeFixture.Response r = post(server, "/v1/chat/completions", req.toString());
        assertEquals(200, r.status(), r.body());
        assertTrue(r.raw().headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
        ServeFixture.Streamed s = ServeFixture.streamed(r.body());
        assertEquals(expected.text(), s.text());
        assertEquals("length", s.finishReason());
        assertTrue(s.done(), "ends with [DONE]");
        assertEquals(expected.promptPositions(), s.usage().get("prompt_tokens").asInt());
        assertEquals(8, s.usage().get("completion_tokens").asInt());
        // PyramidDrop keeps half the image tokens after layer 1, a quarter after layer 2
        assertEquals("[64,32,16,16]", s.mod4j().get("image_tokens_per_layer").toString());
        assertTrue(s.mod4j().get("prefill_flops_ratio").asDouble() < 1);
        // The dense answer's KV cache is larger: fewer image rows are cached after the drops.
        JsonNode dense = post(server, "/v1/chat/completions", request(ServeFixture.QUESTION, true, 8).toString()).json();
        assertTrue(s.mod4j().get("kv_cache_bytes").asLong() < dense.get("mod4j").get("kv_cache_bytes").asLong());
    }

    @Test
    void serverDefaultScheduleAppliesToRequestsThatNameNone() throws Exception {
        try (ChatServer pmod = ServeFixture.start(ServeFixture.settings().withSchedule("pmod"))) {
            ServeFixture.Reference expected = generate(ServeFixture.QUESTION, true, 6, "pmod");
            JsonNode body = post(pmod, "/v1/chat/completions", request(ServeFixture.QUESTION, true, 6).toString()).json();
            assertEquals(expected.text(), body.get("choices").get(0).get("message").get("content").asText());
            assertTrue(body.get("mod4j").get("schedule").asText().startsWith("pmod"));
            JsonNode dense = post(pmod, "/v1/chat/completions",
                    withSchedule(request(ServeFixture.QUESTION, true, 6), "dense").toString()).json();
            assertEquals(generate(ServeFixture.QUESTION, true, 6, "dense").text(),
                    dense.get("choices").get(0).get("message").get("content").asText());
        }
    }

    @Test
    void textOnlyRequestsAndStopStrings() throws Exception {
        ServeFixture.Reference expected = generate("Hello there", false, 12, "dense");
        JsonNode body = post(server, "/v1/chat/completions", request("Hello there", false, 12).toString()).json();
        assertEquals(expected.text(), body.get("choices").get(0).get("message").get("content").asText());
        assertEquals(expected.promptPositions(), body.get("usage").get("prompt_tokens").asInt());
        // A stop string taken from the middle of the answer: the answer ends right before it, finish_reason "stop".
        String text = expected.text();
        int cut = text.offsetByCodePoints(0, Math.min(4, text.codePointCount(0, text.length()) - 1));
        String stop = text.substring(cut, text.offsetByCodePoints(cut, 1));
        String before = text.substring(0, text.indexOf(stop));
        for (boolean stream : new boolean[]{false, true}) {
            ObjectNode req = request("Hello there", false, 12);
            req.putArray("stop").add(stop).add("never appears \u2603");
            req.put("stream", stream);
            ServeFixture.Response r = post(server, "/v1/chat/completions", req.toString());
            assertEquals(200, r.status(), r.body());
            if (stream) {
                ServeFixture.Streamed s = ServeFixture.streamed(r.body());
                assertEquals(before, s.text());
                assertEquals("stop", s.finishReason());
            } else {
                assertEquals(before, r.json().get("choices").get(0).get("message").get("content").asText());
                assertEquals("stop", r.json().get("choices").get(0).get("finish_reason").asText());
            }
        }
    }

    @Test
    void modelsHealthAndMetrics() throws Exception {
        JsonNode models = get(server, "/v1/models").json();
        assertEquals("list", models.get("object").asText());
        assertEquals("p-mod-tiny", models.get("data").get(0).get("id").asText());
        ServeFixture.Response health = get(server, "/health");
        assertEquals(200, health.status());
        assertEquals("ok", health.json().get("status").asText());
        post(server, "/v1/chat/completions", request("Hi", false, 2).toString());
        String metrics = get(server, "/metrics").body();
        for (String name : new String[]{"mod4j_requests_total{outcome=\"ok\"}", "mod4j_queue_depth",
                "mod4j_requests_running", "mod4j_prompt_tokens_total", "mod4j_completion_tokens_total",
                "mod4j_prefill_seconds_bucket", "mod4j_decode_seconds_bucket", "mod4j_kv_cache_bytes_in_use_bytes",
                "mod4j_decode_tokens_per_second"}) {
            assertTrue(metrics.contains(name), name + " in\n" + metrics);
        }
    }
}
