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
 * ({@code chat}, alias {@code hf}; llava-hf checkpoints), LLaVA's conversation templates ({@code vicuna_v1}, as
 * LLaVA's eval scripts use it for original-layout checkpoints, {@code llava_v1}, {@code mistral_instruct}; see
 * {@link PromptTemplate}) or the prompt as is ({@code plain}). A whole conversation (system message, earlier turns)
 * is rendered by {@link #render(Conversation)}.
 * <p>
 * Images go before the text ({@code <image>\n} per image, or image content parts the chat template places), unless
 * the prompt holds {@code <image>} markers itself: then each marker is one image, where the user wrote it.
 */
public final class PromptFormat {
    public static final String CHAT = "chat";
    private static final List<String> NAMES = List.of(CHAT, "hf", "vicuna_v1", "llava_v1", "mistral_instruct", "plain");

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
     * The text to tokenize for a whole conversation, as the checkpoint's software builds it: the chat template over
     * the messages list with a generation prompt (transformers' {@code apply_chat_template(messages,
     * add_generation_prompt=True)}), or LLaVA's conversation template with the system message (if any) as its system
     * prompt, each turn appended, then the answer's empty turn ({@link PromptTemplate#render}). For LLaVA's templates
     * a user message's parts become LLaVA's message string: one {@code <image>\n} per image before the first text
     * (its {@code DEFAULT_IMAGE_TOKEN + '\n' + question}), an image after text an {@code <image>} marker in place,
     * text parts joined by newlines; the turns must alternate user, assistant, ..., user after one optional system
     * message, as LLaVA's roles do.
     */
    public String render(Conversation conversation) {
        if (chat != null) {
            List<Map<String, Object>> messages = new ArrayList<>();
            for (Conversation.Message m : conversation.messages()) {
                List<Map<String, Object>> content = new ArrayList<>();
                for (Conversation.Part p : m.parts()) {
                    content.add(switch (p) {
                        case Conversation.Image ignored -> Map.of("type", "image");
                        case Conversation.Text t -> Map.of("type", "text", "text", t.text());
                    });
                }
                messages.add(Map.of("role", m.role(), "content", content));
            }
            return chat.render(messages, true);
        }
        List<Conversation.Message> messages = conversation.messages();
        String system = null;
        int first = 0;
        if (messages.getFirst().role().equals(Conversation.SYSTEM)) {
            system = String.join("\n", texts(messages.getFirst()));
            first = 1;
        }
        List<PromptTemplate.Turn> turns = new ArrayList<>();
        for (int i = first; i < messages.size(); i++) {
            Conversation.Message m = messages.get(i);
            String expected = (i - first) % 2 == 0 ? Conversation.USER : Conversation.ASSISTANT;
            if (!m.role().equals(expected)) {
                throw new InvalidInputException("messages[" + i + "].role", "is '" + m.role() + "' but the "
                        + template.id() + " format takes one optional system message first, then user and assistant"
                        + " turns in turn, starting with user (expected '" + expected + "' here)");
            }
            turns.add(new PromptTemplate.Turn(expected.equals(Conversation.USER), llavaMessage(m)));
        }
        if (turns.isEmpty() || !messages.getLast().role().equals(Conversation.USER)) {
            throw new InvalidInputException("messages", "the conversation must end with a user message (the "
                    + template.id() + " format then asks for the assistant's answer)");
        }
        return template.render(system, turns);
    }

    /**
     * The input ids of a whole conversation ({@link #render(Conversation)} tokenized as {@link #encode(Tokenizer,
     * String, int, int)} does): one image placeholder per image part, in the order the images come.
     */
    public int[] encode(Tokenizer tokenizer, Conversation conversation, int placeholderId) {
        String text = render(conversation);
        int markers = markers(text);
        if (markers != conversation.images()) {
            throw new InvalidInputException("messages", "the rendered prompt has " + markers + " "
                    + PromptEncoder.IMAGE_MARKER + " marker(s) for " + conversation.images() + " image(s) (do not"
                    + " type " + PromptEncoder.IMAGE_MARKER + " in text when images are given as parts)");
        }
        boolean addSpecialTokens = chat == null || chat.bosToken() == null || !text.startsWith(chat.bosToken());
        return PromptEncoder.encode(tokenizer, text, placeholderId, addSpecialTokens);
    }

    private static String llavaMessage(Conversation.Message m) {
        StringBuilder imagesFirst = new StringBuilder();
        List<String> pieces = new ArrayList<>();
        boolean sawText = false;
        for (Conversation.Part p : m.parts()) {
            switch (p) {
                case Conversation.Text t -> {
                    sawText = true;
                    pieces.add(t.text());
                }
                case Conversation.Image ignored -> {
                    if (sawText) {
                        pieces.add(PromptEncoder.IMAGE_MARKER);
                    } else {
                        imagesFirst.append(PromptEncoder.IMAGE_MARKER).append('\n');
                    }
                }
            }
        }
        return imagesFirst + String.join("\n", pieces);
    }

    /** A system message's text parts (it holds no image: {@link Conversation} checks). */
    private static List<String> texts(Conversation.Message m) {
        return m.parts().stream().map(p -> ((Conversation.Text) p).text()).toList();
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

    // ---- mod4j chat's turns, rendered as a Conversation ----

    /**
     * The text for {@code mod4j chat}'s conversation: earlier turns with their answers, then the last user message
     * ready for the answer ({@code turns}' last answer is null); each turn's images come before its text. Rendered
     * by {@link #render(Conversation)}, as the server renders a messages list.
     */
    public String applyConversation(List<ChatTurn> turns) {
        return render(conversation(turns));
    }

    /** The input ids for {@code mod4j chat}'s conversation ({@link #encode(Tokenizer, Conversation, int)}). */
    public int[] encodeConversation(Tokenizer tokenizer, List<ChatTurn> turns, int placeholderId) {
        return encode(tokenizer, conversation(turns), placeholderId);
    }

    private static Conversation conversation(List<ChatTurn> turns) {
        if (turns.isEmpty() || turns.getLast().answer() != null) {
            throw new IllegalArgumentException("a conversation ends with the user's turn to answer");
        }
        List<Conversation.Message> messages = new ArrayList<>();
        for (ChatTurn turn : turns) {
            messages.addAll(Conversation.userPrompt(turn.user(), turn.images()).messages());
            if (turn.answer() != null) {
                messages.add(new Conversation.Message(Conversation.ASSISTANT,
                        List.of(new Conversation.Text(turn.answer()))));
            }
        }
        return new Conversation(messages);
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
