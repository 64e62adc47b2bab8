package dev.mod4j.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Request bodies as OpenAI's clients send them, and the 400s for fields of the wrong type. */
class ChatRequestTest {
    static ChatRequest parse(String json) throws Exception {
        return ChatRequest.parse(new ObjectMapper().readTree(json));
    }

    @Test
    void readsContentPartsSamplingStopAndTheSchedule() throws Exception {
        ChatRequest r = parse("""
                {"model": "m", "messages": [{"role": "user", "content": [
                  {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA", "detail": "auto"}},
                  {"type": "text", "text": "What?"}]}],
                 "max_completion_tokens": 7, "max_tokens": 99, "temperature": 0.5, "top_p": 0.9, "seed": 3,
                 "stop": "\\n", "stream": true, "stream_options": {"include_usage": true}, "user": "ignored",
                 "frequency_penalty": null, "mod4j": {"schedule": "pdrop"}}""");
        assertEquals(List.of(new ChatMessage.ImageUrl("data:image/png;base64,AAAA"), new ChatMessage.Text("What?")),
                r.messages().getFirst().parts());
        assertEquals(7, r.maxTokens(), "max_completion_tokens wins over the deprecated max_tokens");
        assertEquals(0.5, r.temperature());
        assertEquals(3L, r.seed());
        assertEquals(List.of("\n"), r.stop());
        assertTrue(r.stream() && r.includeUsage());
        assertEquals("pdrop", r.schedule());
        ChatRequest plain = parse("{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], \"temperature\": null}");
        assertEquals(List.of(new ChatMessage.Text("Hi")), plain.messages().getFirst().parts());
        assertNull(plain.temperature(), "null means not set, as OpenAI's clients send it");
        assertNull(plain.schedule());
    }

    @Test
    void fieldsOfTheWrongTypeOrRangeNameTheField() {
        String[][] cases = {
                {"{\"messages\": \"hi\"}", "messages"},
                {"{\"messages\": [{\"role\": \"user\", \"content\": 5}]}", "messages[0].content"},
                {"{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"temperature\": 3}", "temperature"},
                {"{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"seed\": 1.5}", "seed"},
                {"{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"stop\": [1]}", "stop"},
                {"{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"stop\": [\"a\",\"b\",\"c\",\"d\",\"e\"]}",
                        "stop"},
                {"{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"logprobs\": true}", "logprobs"},
                {"{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"mod4j\": {\"schedule\": 1}}", "mod4j.schedule"},
                {"{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image_url\"}]}]}",
                        "messages[0].content[0].image_url"},
        };
        for (String[] c : cases) {
            ApiError e = assertThrows(ApiError.class, () -> parse(c[0]), c[0]);
            assertEquals(400, e.status());
            assertEquals(c[1], e.param(), c[0]);
        }
    }
}
