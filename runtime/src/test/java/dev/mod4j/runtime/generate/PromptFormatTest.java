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
import java.util.Map;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PromptFormatTest {
    /** llama-mini (loaders' test tokenizer): {@code <s>} is 1, {@code <image>} an added token with id 600. */
    private static final int BOS = 1;
    private static final int IMAGE = 600;
    private static final String LLAVA_15 = "llava-1.5-7b-hf.jinja";

    @TempDir
    Path temp;

    @Test
    void vicunaV1PutsImagesBeforeThePromptAsLlavasEvalScriptsDo() {
        PromptFormat vicuna = PromptFormat.of(PromptTemplate.VICUNA_V1);
        assertEquals(PromptTemplate.SYSTEM + " USER: <image>\nWhat is it? ASSISTANT:", vicuna.apply("What is it?", 1));
        assertEquals(PromptTemplate.SYSTEM + " USER: What is it? ASSISTANT:", vicuna.apply("What is it?", 0));
    }

    @Test
    void imageMarkersTypedInThePromptStayWhereWritten() {
        PromptFormat vicuna = PromptFormat.of(PromptTemplate.VICUNA_V1);
        assertEquals(PromptTemplate.SYSTEM + " USER: Compare <image> with <image>. ASSISTANT:",
                vicuna.apply("Compare <image> with <image>.", 2));
        assertEquals("Is <image> red?", PromptFormat.of(PromptTemplate.PLAIN).apply("Is <image> red?", 1));
    }

    @Test
    void imageMarkersMustMatchTheImagesGiven() {
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> PromptFormat.of(PromptTemplate.VICUNA_V1).apply("Compare <image> with <image>.", 1));
        assertEquals("prompt", e.source());
        assertTrue(e.problem().startsWith("has 2 <image> marker(s) but 1 image(s) were given"), e.problem());
    }

    @Test
    void chatTemplatePlacesImagePartsOrTypedMarkers() throws IOException {
        PromptFormat chat = PromptFormat.of(llava15());
        assertEquals("USER: <image>\n<image>\nWhich one is bigger? ASSISTANT:", chat.apply("Which one is bigger?", 2));
        assertEquals("USER: Is <image> bigger than <image>? ASSISTANT:", chat.apply("Is <image> bigger than <image>?", 2));
        assertEquals("USER: Hello ASSISTANT:", chat.apply("Hello", 0));
    }

    @Test
    void defaultIsTheCheckpointsChatTemplateElseVicunaForLlavaElsePlain() throws IOException {
        Path withTemplate = Files.createDirectories(temp.resolve("hf"));
        Files.writeString(withTemplate.resolve("chat_template.json"),
                new ObjectMapper().writeValueAsString(Map.of("chat_template", ChatTemplateGoldenTest.resource(LLAVA_15))));
        assertTrue(PromptFormat.select(null, withTemplate, true).name().startsWith("chat ("));
        assertTrue(PromptFormat.select("hf", withTemplate, true).name().startsWith("chat ("));
        assertEquals("vicuna_v1", PromptFormat.select("vicuna_v1", withTemplate, true).name());
        Path without = Files.createDirectories(temp.resolve("original"));
        assertEquals("vicuna_v1", PromptFormat.select(null, without, true).name());
        assertEquals("plain", PromptFormat.select(null, without, false).name());
        // LLaVA's own code builds conv_vicuna_v1 prompts whatever chat template the tokenizer files carry.
        Path original = Files.createDirectories(temp.resolve("original-with-template"));
        Files.copy(withTemplate.resolve("chat_template.json"), original.resolve("chat_template.json"));
        Files.writeString(original.resolve("config.json"), "{\"mm_vision_tower\": \"openai/clip-vit-large-patch14-336\"}");
        assertEquals("vicuna_v1", PromptFormat.select(null, original, true).name());
        // A Mistral-based original checkpoint (llava-v1.6-mistral-7b): LLaVA's cli.py picks conv_mistral_instruct.
        Path mistral = Files.createDirectories(temp.resolve("original-mistral"));
        Files.writeString(mistral.resolve("config.json"), "{\"mm_vision_tower\": \"openai/clip-vit-large-patch14-336\","
                + " \"model_type\": \"llava_mistral\"}");
        assertEquals("mistral_instruct", PromptFormat.select(null, mistral, true).name());

        InvalidInputException none = assertThrows(InvalidInputException.class,
                () -> PromptFormat.select("chat", without, true));
        assertEquals("prompt template", none.source());
        assertTrue(none.problem().startsWith("'chat': " + without + " has no chat template"), none.problem());
        InvalidInputException unknown = assertThrows(InvalidInputException.class,
                () -> PromptFormat.select("chatml", without, true));
        assertEquals("unknown template 'chatml' (known: [chat, hf, vicuna_v1, mistral_instruct, plain])", unknown.problem());
    }

    @Test
    void chatTemplateFoundInTokenizerConfigWithItsSpecialTokens() throws IOException {
        Path dir = Files.createDirectories(temp.resolve("tc"));
        Files.writeString(dir.resolve("tokenizer_config.json"), """
                {"bos_token": {"__type": "AddedToken", "content": "<s>"}, "eos_token": "</s>",
                 "chat_template": [{"name": "tool_use", "template": "x"}, {"name": "default", "template": "{{ bos_token }}[{{ eos_token }}]"}]}""");
        ChatTemplate template = ChatTemplate.find(dir).orElseThrow();
        assertEquals("<s>", template.bosToken());
        assertEquals("<s>[</s>]", template.render(java.util.List.of(), false));
    }

    /**
     * Ids as a llava-hf processor's apply_chat_template(tokenize=True) gives them: the golden rendering (from
     * chat-template/golden.json) tokenized with special tokens, since it does not start with bos_token; {@code <image>}
     * is its added token. A rendering that starts with bos_token gets no second one.
     */
    @Test
    void chatTemplateIdsAreTheRenderingTokenizedAsTransformersProcessorDoes() throws IOException {
        Tokenizer tokenizer = llamaMini();
        PromptFormat chat = PromptFormat.of(llava15());
        String rendered = golden(LLAVA_15, "image and text");
        assertEquals(rendered, chat.apply("What is shown in this image?", 1));
        int[] ids = chat.encode(tokenizer, "What is shown in this image?", 1, IMAGE);
        int[] expected = IntStream.concat(IntStream.of(BOS), IntStream.of(tokenizer.encode(rendered, false))).toArray();
        assertArrayEquals(expected, ids);
        assertEquals(1, IntStream.of(ids).filter(id -> id == IMAGE).count());
        assertEquals(1, IntStream.of(ids).filter(id -> id == BOS).count());

        ChatTemplate startsWithBos = new ChatTemplate("{{ bos_token }}USER: {{ messages[0]['content'][1]['text'] }}",
                "test", Map.of("bos_token", "<s>"));
        int[] once = PromptFormat.of(startsWithBos).encode(tokenizer, "Hi", 1, IMAGE);
        assertArrayEquals(tokenizer.encode("<s>USER: Hi", false), once);
        assertEquals(BOS, once[0]);
        assertEquals(1, IntStream.of(once).filter(id -> id == BOS).count());
    }

    /**
     * Ids from transformers itself (chat-template/generate_ids.py: LlavaProcessor.apply_chat_template with
     * tokenize=True over the same llama-mini tokenizer), for both llava-hf templates, with image parts, none, and
     * {@code <image>} typed in the prompt: one bos, {@code <image>} one token per image.
     */
    @Test
    void chatTemplateIdsEqualTransformersProcessorApplyChatTemplate() throws IOException {
        Tokenizer tokenizer = llamaMini();
        JsonNode golden = new ObjectMapper().readTree(ChatTemplateGoldenTest.resource("ids_golden.json"));
        int checked = 0;
        for (JsonNode c : golden.get("cases")) {
            String file = c.get("template").asText();
            PromptFormat chat = PromptFormat.of(new ChatTemplate(ChatTemplateGoldenTest.resource(file), file,
                    Map.of("bos_token", "<s>", "eos_token", "</s>", "unk_token", "<unk>")));
            String prompt = c.get("prompt").asText();
            int images = c.get("images").asInt();
            String what = file + " / " + prompt;
            assertEquals(c.get("rendered").asText(), chat.apply(prompt, images), what);
            int[] expected = new int[c.get("input_ids").size()];
            for (int i = 0; i < expected.length; i++) {
                expected[i] = c.get("input_ids").get(i).asInt();
            }
            assertArrayEquals(expected, chat.encode(tokenizer, prompt, images, IMAGE), what);
            checked++;
        }
        assertEquals(8, checked);
    }

    private static ChatTemplate llava15() throws IOException {
        return new ChatTemplate(ChatTemplateGoldenTest.resource(LLAVA_15), LLAVA_15, Map.of("bos_token", "<s>",
                "eos_token", "</s>", "unk_token", "<unk>", "pad_token", "<pad>"));
    }

    private static String golden(String template, String caseName) throws IOException {
        for (JsonNode r : new ObjectMapper().readTree(ChatTemplateGoldenTest.resource("golden.json")).get("renderings")) {
            if (r.get("template").asText().equals(template) && r.get("case").asText().equals(caseName)) {
                return r.get("rendered").asText();
            }
        }
        throw new IllegalStateException("no golden rendering " + template + " / " + caseName);
    }

    private Tokenizer llamaMini() throws IOException {
        Path dir = Files.createDirectories(temp.resolve("llama-mini"));
        for (String name : new String[]{"tokenizer.json", "tokenizer_config.json"}) {
            try (InputStream in = PromptFormatTest.class.getResourceAsStream("/tokenizer/llama-mini/" + name)) {
                Files.copy(in, dir.resolve(name));
            }
        }
        return Tokenizer.load(dir);
    }
}
