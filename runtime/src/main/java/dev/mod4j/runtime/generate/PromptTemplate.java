package dev.mod4j.runtime.generate;

import dev.mod4j.loaders.InvalidInputException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * LLaVA's conversation templates by name, rendered as {@code Conversation.get_prompt()} of LLaVA's
 * llava/conversation.py does (haotian-liu/LLaVA c121f0432da27facab705978f83c4ada465e46fd) after its scripts append
 * each turn and then {@code (roles[1], None)} for the answer:
 * <ul>
 * <li>{@code vicuna_v1} ({@code conv_vicuna_v1}, what LLaVA-1.5's eval scripts pass as --conv-mode) and
 * {@code llava_v1} ({@code conv_llava_v1}, the same with "human" in its system prompt): {@code SeparatorStyle.TWO},
 * system + " " then "USER: " + message + " " and "ASSISTANT: " + answer + "</s>" per turn, "ASSISTANT:" last;</li>
 * <li>{@code mistral_instruct} ({@code conv_mistral_instruct}, what LLaVA's cli.py picks for llava-v1.6-mistral):
 * {@code SeparatorStyle.LLAMA_2} with an empty system and sep "": "[INST] " + message + " [/INST]", then
 * " " + answer + " </s>" per turn; a system prompt is wrapped in {@code <<SYS>>} inside the first message;</li>
 * <li>{@code plain}: one user message as is (mod4j's own; LLaVA's {@code conv_llava_plain} is its pretraining
 * format).</li>
 * </ul>
 * A user message with images is LLaVA's {@code DEFAULT_IMAGE_TOKEN + '\n' + question}, one {@code <image>\n} per image.
 */
public enum PromptTemplate {
    VICUNA_V1("vicuna_v1", "A chat between a curious user and an artificial intelligence assistant. "
            + "The assistant gives helpful, detailed, and polite answers to the user's questions.", Style.TWO),
    LLAVA_V1("llava_v1", "A chat between a curious human and an artificial intelligence assistant. "
            + "The assistant gives helpful, detailed, and polite answers to the human's questions.", Style.TWO),
    MISTRAL_INSTRUCT("mistral_instruct", "", Style.LLAMA_2),
    PLAIN("plain", "", Style.PLAIN);

    /**
     * conv_vicuna_v1's system line (LLaVA-1.5's eval scripts pass --conv-mode vicuna_v1). "human" is conv_llava_v1's
     * wording, a different template.
     */
    public static final String SYSTEM = VICUNA_V1.system;

    private enum Style { TWO, LLAMA_2, PLAIN }

    /** A turn as LLaVA's Conversation holds it: a role and its message string. */
    public record Turn(boolean user, String message) {
    }

    private final String id;
    private final String system;
    private final Style style;

    PromptTemplate(String id, String system, Style style) {
        this.id = id;
        this.system = system;
        this.style = style;
    }

    public String id() {
        return id;
    }

    /** The text to tokenize for a user prompt with {@code images} image placeholders before it. */
    public String apply(String prompt, int images) {
        return render(null, List.of(new Turn(true, "<image>\n".repeat(images) + prompt)));
    }

    /**
     * LLaVA's {@code get_prompt()} of {@code turns} (user first, alternating, user last) followed by the answer's
     * empty turn, with {@code system} (null: the template's own) as the conversation's system prompt.
     */
    public String render(String system, List<Turn> turns) {
        String sys = system == null ? this.system : system;
        List<Turn> all = new ArrayList<>(turns);
        all.add(new Turn(false, null));
        StringBuilder out = new StringBuilder();
        switch (style) {
            case TWO -> {
                // seps = [sep, sep2] = [" ", "</s>"]; an empty message renders as the bare role + ":".
                out.append(sys).append(' ');
                for (int i = 0; i < all.size(); i++) {
                    Turn t = all.get(i);
                    String role = t.user() ? "USER" : "ASSISTANT";
                    if (t.message() != null && !t.message().isEmpty()) {
                        out.append(role).append(": ").append(t.message()).append(i % 2 == 0 ? " " : "</s>");
                    } else {
                        out.append(role).append(':');
                    }
                }
            }
            case LLAMA_2 -> {
                // sep = "" (so ret.lstrip(sep) strips nothing), sep2 = "</s>".
                for (int i = 0; i < all.size(); i++) {
                    String message = all.get(i).message();
                    if (i == 0 && (message == null || message.isEmpty())) {
                        throw new InvalidInputException("messages", "the first user message is empty (LLaVA's "
                                + id + " template asserts 'first message should not be none')");
                    }
                    if (message == null || message.isEmpty()) {
                        continue;
                    }
                    if (i == 0 && !sys.isEmpty()) {
                        message = "<<SYS>>\n" + sys + "\n<</SYS>>\n\n" + message;
                    }
                    out.append(i % 2 == 0 ? "[INST] " + message + " [/INST]" : " " + message + " </s>");
                }
            }
            case PLAIN -> {
                if (system != null || turns.size() != 1) {
                    throw new InvalidInputException("messages", "the plain format takes one user message and no"
                            + " system message (got " + turns.size() + " turn(s)"
                            + (system != null ? " and a system message" : "") + "); use the model's chat format");
                }
                out.append(turns.getFirst().message());
            }
        }
        return out.toString();
    }

    public static PromptTemplate byName(String name) {
        return Arrays.stream(values()).filter(t -> t.id.equals(name)).findFirst()
                .orElseThrow(() -> new InvalidInputException("prompt template", "unknown template '" + name
                        + "' (known: " + Arrays.stream(values()).map(PromptTemplate::id).toList() + ")"));
    }
}
