package dev.mod4j.runtime.generate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Whole conversations (system message, several turns, images in any user turn) rendered and tokenized as the
 * checkpoint's software does: chat-template/conversation_ids_golden.json, from transformers' LlavaProcessor
 * apply_chat_template (llava-hf templates, llama-mini tokenizer) and LLaVA's own conversation.py get_prompt +
 * tokenizer_image_token (vicuna_v1, llava_v1, mistral_instruct; slow LlamaTokenizer on spm/tokenizer.model, legacy
 * true and false). See generate_conversation_ids.py there.
 */
class PromptFormatConversationTest {
    private static final int HF_IMAGE = 600;
    private static final int LLAVA_IMAGE = -200;

    @TempDir
    Path temp;

    @Test
    void conversationsEqualTheCheckpointsSoftware() throws IOException {
        JsonNode golden = new ObjectMapper().readTree(ChatTemplateGoldenTest.resource("conversation_ids_golden.json"));
        Map<String, Conversation> conversations = new HashMap<>();
        for (JsonNode c : golden.get("conversations")) {
            conversations.put(c.get("name").asText(), conversation(c.get("messages")));
        }
        Tokenizer llamaMini = tokenizer("llama-mini", null);
        Map<Boolean, Tokenizer> spm = Map.of(true, tokenizer("spm", true), false, tokenizer("spm", false));
        int checked = 0;
        for (JsonNode c : golden.get("cases")) {
            Conversation conversation = conversations.get(c.get("conversation").asText());
            boolean chat = c.get("format").asText().equals("chat");
            PromptFormat format = chat ? PromptFormat.of(new ChatTemplate(ChatTemplateGoldenTest.resource(
                    c.get("template").asText()), c.get("template").asText(), Map.of("bos_token", "<s>",
                    "eos_token", "</s>", "unk_token", "<unk>")))
                    : PromptFormat.of(PromptTemplate.byName(c.get("format").asText()));
            Tokenizer tokenizer = chat ? llamaMini : spm.get(c.get("legacy").asBoolean());
            String what = c.get("format").asText() + " " + c.path("template").asText() + " legacy="
                    + c.path("legacy").asText() + " / " + c.get("conversation").asText();
            assertEquals(c.get("rendered").asText(), format.render(conversation), what);
            int[] expected = new int[c.get("input_ids").size()];
            for (int i = 0; i < expected.length; i++) {
                expected[i] = c.get("input_ids").get(i).asInt();
            }
            assertArrayEquals(expected, format.encode(tokenizer, conversation, chat ? HF_IMAGE : LLAVA_IMAGE), what);
            checked++;
        }
        assertEquals(2 * 6 + 2 * 3 * 6, checked);
    }

    /** One user message renders as the single-prompt path ({@code generate --prompt}) does. */
    @Test
    void oneUserMessageIsTheSinglePrompt() {
        for (PromptTemplate t : PromptTemplate.values()) {
            PromptFormat format = PromptFormat.of(t);
            assertEquals(format.apply("What is it?", 2), format.render(Conversation.userPrompt("What is it?", 2)));
        }
    }

    @Test
    void turnsOutOfLlavasOrderAreRefusedByPosition() {
        PromptFormat vicuna = PromptFormat.of(PromptTemplate.VICUNA_V1);
        InvalidInputException twoUsers = assertThrows(InvalidInputException.class, () -> vicuna.render(
                new Conversation(List.of(user("a"), user("b")))));
        assertEquals("messages[1].role", twoUsers.source());
        assertTrue(twoUsers.problem().contains("expected 'assistant' here"), twoUsers.problem());
        InvalidInputException endsWithAnswer = assertThrows(InvalidInputException.class, () -> vicuna.render(
                new Conversation(List.of(user("a"), message("assistant", "b")))));
        assertTrue(endsWithAnswer.problem().startsWith("the conversation must end with a user message"));
        InvalidInputException lateSystem = assertThrows(InvalidInputException.class, () -> vicuna.render(
                new Conversation(List.of(user("a"), message("system", "s"), user("b")))));
        assertEquals("messages[1].role", lateSystem.source());
        InvalidInputException plain = assertThrows(InvalidInputException.class, () -> PromptFormat.of(
                PromptTemplate.PLAIN).render(new Conversation(List.of(message("system", "s"), user("a")))));
        assertTrue(plain.problem().startsWith("the plain format takes one user message"), plain.problem());
        InvalidInputException assistantImage = assertThrows(InvalidInputException.class, () -> new Conversation(
                List.of(new Conversation.Message("assistant", List.of(new Conversation.Image())))));
        assertEquals("messages[0].content", assistantImage.source());
        InvalidInputException typedMarker = assertThrows(InvalidInputException.class, () -> vicuna.encode(null,
                new Conversation(List.of(user("look at <image>"))), LLAVA_IMAGE));
        assertTrue(typedMarker.problem().startsWith("the rendered prompt has 1 <image> marker(s) for 0 image(s)"));
    }

    private static Conversation.Message user(String text) {
        return message("user", text);
    }

    private static Conversation.Message message(String role, String text) {
        return new Conversation.Message(role, List.of(new Conversation.Text(text)));
    }

    private static Conversation conversation(JsonNode messages) {
        List<Conversation.Message> out = new ArrayList<>();
        for (JsonNode m : messages) {
            List<Conversation.Part> parts = new ArrayList<>();
            for (JsonNode p : m.get("content")) {
                parts.add(p.get("type").asText().equals("image") ? new Conversation.Image()
                        : new Conversation.Text(p.get("text").asText()));
            }
            out.add(new Conversation.Message(m.get("role").asText(), parts));
        }
        return new Conversation(out);
    }

    /** loaders' test tokenizers: llama-mini (tokenizer.json) or spm/tokenizer.model read as LLaVA's slow tokenizer. */
    private Tokenizer tokenizer(String name, Boolean legacy) throws IOException {
        Path dir = Files.createDirectories(temp.resolve(name + "-" + legacy));
        String[] files = legacy == null ? new String[]{"tokenizer.json", "tokenizer_config.json"}
                : new String[]{"tokenizer.model"};
        for (String file : files) {
            try (InputStream in = getClass().getResourceAsStream("/tokenizer/" + name + "/" + file)) {
                Files.copy(in, dir.resolve(file));
            }
        }
        if (legacy != null) {
            Files.writeString(dir.resolve("tokenizer_config.json"), "{\"legacy\": " + legacy + "}");
        }
        return Tokenizer.load(dir);
    }
}
