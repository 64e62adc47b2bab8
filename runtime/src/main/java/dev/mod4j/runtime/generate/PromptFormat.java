package dev.mod4j.runtime.generate;

import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.SmallFiles;
import dev.mod4j.loaders.tokenizer.Tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How a user's prompt and images become the text the model was trained on: the checkpoint's own chat template
 * ({@code chat}, alias {@code hf}; llava-hf checkpoints), LLaVA's {@code conv_vicuna_v1} ({@code vicuna_v1}, as
 * LLaVA's eval scripts use it for original-layout checkpoints) or the prompt as is ({@code plain}).
 * <p>
 * Images go before the text ({@code <image>\n} per image, or image content parts the chat template places), unless
 * the prompt holds {@code <image>} markers itself: then each marker is one image, where the user wrote it.
 */
public final class PromptFormat {
    public static final String CHAT = "chat";
    private static final List<String> NAMES = List.of(CHAT, "hf", "vicuna_v1", "mistral_instruct", "plain");

    private final PromptTemplate template;
    private final ChatTemplate chat;

    private PromptFormat(PromptTemplate template, ChatTemplate chat) {
        this.template = template;
        this.chat = chat;
    }

    public static PromptFormat of(PromptTemplate template) {
        return new PromptFormat(template, null);
    }

    public static PromptFormat of(ChatTemplate chat) {
        return new PromptFormat(null, chat);
    }

    /**
     * The format named {@code name}, or (null) the default: vicuna_v1 for an original-layout LLaVA checkpoint
     * ({@code mm_vision_tower} in config.json: LLaVA's own code never reads a chat template), else the checkpoint's
     * chat template when {@code directory} has one, else vicuna_v1 for a LLaVA model, else plain.
     */
    public static PromptFormat select(String name, Path directory, boolean llava) {
        if (name == null) {
            if (llava && originalLayout(directory)) {
                // LLaVA's cli.py: conv_mode mistral_instruct for a Mistral-based model (name holds "mistral";
                // its config says model_type llava_mistral), else vicuna_v1 as LLaVA-1.5's eval scripts.
                return of(mistralDecoder(directory) ? PromptTemplate.MISTRAL_INSTRUCT : PromptTemplate.VICUNA_V1);
            }
            return ChatTemplate.find(directory).map(PromptFormat::of)
                    .orElseGet(() -> of(PromptTemplate.byName(llava ? "vicuna_v1" : "plain")));
        }
        if (name.equals(CHAT) || name.equals("hf")) {
            return of(ChatTemplate.find(directory).orElseThrow(() -> new InvalidInputException("prompt template",
                    "'" + name + "': " + directory + " has no chat template (looked for chat_template in "
                            + String.join(", ", ChatTemplate.FILES) + ")")));
        }
        if (NAMES.contains(name)) {
            return of(PromptTemplate.byName(name));
        }
        throw new InvalidInputException("prompt template", "unknown template '" + name + "' (known: " + NAMES + ")");
    }

    /** {@code chat} (and the file it came from) or the built-in template's name. */
    public String name() {
        return chat != null ? CHAT + " (" + chat.file() + ")" : template.id();
    }

    /** The text to tokenize for {@code prompt} with {@code images} images. */
    public String apply(String prompt, int images) {
        int markers = markers(prompt);
        if (markers > 0 && markers != images) {
            throw new InvalidInputException("prompt", "has " + markers + " " + PromptEncoder.IMAGE_MARKER
                    + " marker(s) but " + images + " image(s) were given (write one per image, or none to put the"
                    + " images before the text)");
        }
        int placed = markers > 0 ? 0 : images;
        if (chat == null) {
            return template.apply(prompt, placed);
        }
        List<Map<String, Object>> content = new ArrayList<>();
        for (int i = 0; i < placed; i++) {
            content.add(Map.of("type", "image"));
        }
        content.add(Map.of("type", "text", "text", prompt));
        return chat.render(List.of(Map.of("role", "user", "content", content)), true);
    }

    /**
     * The input ids for {@code prompt}. Through a chat template, as a llava-hf processor's apply_chat_template
     * tokenizes: special tokens are added unless the rendered text already starts with {@code bos_token}.
     */
    public int[] encode(Tokenizer tokenizer, String prompt, int images, int placeholderId) {
        String text = apply(prompt, images);
        boolean addSpecialTokens = chat == null || chat.bosToken() == null || !text.startsWith(chat.bosToken());
        return PromptEncoder.encode(tokenizer, text, placeholderId, addSpecialTokens);
    }

    private static boolean originalLayout(Path directory) {
        return config(directory).has("mm_vision_tower");
    }

    private static boolean mistralDecoder(Path directory) {
        var modelType = config(directory).get("model_type");
        return modelType != null && modelType.asText().equals("llava_mistral");
    }

    private static com.fasterxml.jackson.databind.JsonNode config(Path directory) {
        Path config = directory.resolve("config.json");
        try {
            return Files.isRegularFile(config) ? new ObjectMapper().readTree(SmallFiles.readText(config))
                    : new ObjectMapper().createObjectNode();
        } catch (IOException e) {
            throw new InvalidInputException(config.toString(), "cannot be read as JSON: " + e.getMessage());
        }
    }

    static int markers(String prompt) {
        int count = 0;
        for (int at = prompt.indexOf(PromptEncoder.IMAGE_MARKER); at >= 0;
             at = prompt.indexOf(PromptEncoder.IMAGE_MARKER, at + PromptEncoder.IMAGE_MARKER.length())) {
            count++;
        }
        return count;
    }
}
