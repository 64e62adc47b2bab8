package dev.mod4j.runtime.generate;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Multi-turn prompts ({@code mod4j chat}, rendered through {@link PromptFormat#render(Conversation)} as the server renders them) equal LLaVA's Conversation.get_prompt() (conversation/golden.json, made by
 * generate.py there) and, through a chat template, the Jinja rendering of the same messages (chat-template/golden.json).
 */
class ConversationPromptGoldenTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TestFactory
    List<DynamicTest> builtInTemplatesRenderAsLlavaConversation() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : read("/conversation/golden.json").get("cases")) {
            tests.add(DynamicTest.dynamicTest(c.get("template").asText() + ": " + c.get("name").asText(), () -> {
                List<ChatTurn> turns = new ArrayList<>();
                for (JsonNode t : c.get("turns")) {
                    turns.add(new ChatTurn(t.get(0).asText(), t.get(1).asInt(), t.get(2).isNull() ? null : t.get(2).asText()));
                }
                PromptFormat format = PromptFormat.of(PromptTemplate.byName(c.get("template").asText()));
                assertEquals(c.get("prompt").asText(), format.applyConversation(turns));
                if (turns.size() == 1) {
                    assertEquals(format.apply(turns.getFirst().user(), turns.getFirst().images()),
                            format.applyConversation(turns), "one turn is generate's prompt");
                }
            }));
        }
        return tests;
    }

    @Test
    void aChatTemplateGetsUserAndAssistantMessagesWithImagePartsFirst() throws IOException {
        JsonNode spec = read("/chat-template/conversations.json");
        Map<String, String> special = JSON.convertValue(spec.get("special_tokens"), new TypeReference<>() {
        });
        String source;
        try (InputStream in = getClass().getResourceAsStream("/chat-template/llava-1.5-7b-hf.jinja")) {
            source = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        PromptFormat format = PromptFormat.of(new ChatTemplate(source, "llava-1.5-7b-hf.jinja", special));
        String expected = null;
        for (JsonNode r : read("/chat-template/golden.json").get("renderings")) {
            if (r.get("template").asText().equals("llava-1.5-7b-hf.jinja") && r.get("case").asText().equals("multi-turn")) {
                expected = r.get("rendered").asText();
            }
        }
        assertEquals(expected, format.applyConversation(List.of(new ChatTurn("What is in the picture?", 1,
                "A cat on a sofa."), new ChatTurn("What colour is the cat?", 0, null))));
    }

    private static JsonNode read(String resource) throws IOException {
        try (InputStream in = ConversationPromptGoldenTest.class.getResourceAsStream(resource)) {
            return JSON.readTree(in);
        }
    }
}
