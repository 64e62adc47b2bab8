package dev.mod4j.runtime.generate;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mod4j.loaders.InvalidInputException;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Every rendering in chat-template/golden.json (Python jinja2 in transformers' environment, see generate.py there)
 * equals ChatTemplate's byte for byte: llava-1.5-7b-hf's and llava-v1.6-mistral-7b-hf's own templates and a template
 * exercising the environment's whitespace control, tojson, string methods and namespaces.
 */
class ChatTemplateGoldenTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TestFactory
    List<DynamicTest> javaRendersAsTransformersJinjaEnvironmentDoes() throws IOException {
        JsonNode spec = JSON.readTree(resource("conversations.json"));
        JsonNode golden = JSON.readTree(resource("golden.json"));
        Map<String, JsonNode> cases = new HashMap<>();
        spec.get("cases").forEach(c -> cases.put(c.get("name").asText(), c));
        Map<String, String> specialTokens = JSON.convertValue(spec.get("special_tokens"), new TypeReference<>() {
        });
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode rendering : golden.get("renderings")) {
            String file = rendering.get("template").asText();
            JsonNode c = cases.get(rendering.get("case").asText());
            tests.add(DynamicTest.dynamicTest(file + ": " + c.get("name").asText(), () -> {
                ChatTemplate template = new ChatTemplate(resource(file), file, specialTokens);
                List<Map<String, Object>> messages = JSON.convertValue(c.get("messages"), new TypeReference<>() {
                });
                boolean addGenerationPrompt = c.get("add_generation_prompt").asBoolean();
                if (rendering.has("error")) {
                    InvalidInputException e = assertThrows(InvalidInputException.class,
                            () -> template.render(messages, addGenerationPrompt));
                    assertEquals("chat template: " + rendering.get("error").asText() + " (" + file + ")",
                            e.getMessage());
                } else {
                    assertEquals(rendering.get("rendered").asText(), template.render(messages, addGenerationPrompt));
                }
            }));
        }
        return tests;
    }

    static String resource(String name) throws IOException {
        try (InputStream in = ChatTemplateGoldenTest.class.getResourceAsStream("/chat-template/" + name)) {
            if (in == null) {
                throw new IOException("missing test resource chat-template/" + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
