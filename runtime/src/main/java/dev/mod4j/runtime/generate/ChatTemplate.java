package dev.mod4j.runtime.generate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.lib.tag.Tag;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;
import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.SmallFiles;
import jinjava.javax.el.CompositeELResolver;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A checkpoint's own chat template (llava-hf: {@code chat_template.json}, {@code processor_config.json} or
 * {@code tokenizer_config.json}), rendered as transformers' {@code apply_chat_template} renders it: Jinja with
 * {@code trim_blocks} and {@code lstrip_blocks}, the variables {@code messages}, {@code add_generation_prompt},
 * {@code tools}/{@code documents} (none) and the tokenizer's special tokens ({@code bos_token}, {@code eos_token},
 * ...), {@code raise_exception}, {@code strftime_now}, a {@code tojson} that is Python's {@code json.dumps}, the
 * {@code {% generation %}} tag, and the Python string methods templates call ({@link PythonStringMethods}).
 * Environment transcribed from transformers' {@code chat_template_utils._compile_jinja_template} (v4.45+).
 */
public final class ChatTemplate {
    /** Where transformers' processors and tokenizers look, in the order a llava-hf processor prefers them. */
    static final List<String> FILES = List.of("chat_template.json", "processor_config.json", "tokenizer_config.json");
    private static final String[] SPECIAL_TOKENS = {"bos_token", "eos_token", "unk_token", "sep_token", "pad_token",
            "cls_token", "mask_token"};
    // Jinjava gets comment whitespace control wrong; a comment is a no-op block tag for whitespace purposes.
    private static final Pattern COMMENT = Pattern.compile("\\{#([-+]?)(.*?)([-+]?)#}", Pattern.DOTALL);
    // Jinja's lstrip_blocks: spaces and tabs from a line's start up to a block tag go (not before "{%+").
    // Jinjava's own also strips them after text on the same line, so it is done here instead.
    private static final Pattern LSTRIP = Pattern.compile("(?:(?<=[\\r\\n])|\\A)[ \\t]+(?=\\{%(?!\\+))");
    private static final Jinjava JINJAVA = newEngine();

    private final String source;
    private final String file;
    private final Map<String, Object> specialTokens;
    /** The source with comments as no-op tags and lstrip_blocks applied, for Jinjava. */
    private final String prepared;

    /**
     * @param source        the Jinja source
     * @param file          where it came from (named in errors)
     * @param specialTokens {@code bos_token} → {@code <s>} etc., as transformers' {@code special_tokens_map}
     */
    public ChatTemplate(String source, String file, Map<String, String> specialTokens) {
        this.source = source;
        this.file = file;
        this.specialTokens = Map.copyOf(specialTokens);
        this.prepared = LSTRIP.matcher(withoutComments(withoutTrailingNewline(source))).replaceAll("");
    }

    /** Jinja's keep_trailing_newline=False (transformers keeps the default): one newline ending the source goes. */
    static String withoutTrailingNewline(String source) {
        if (source.endsWith("\r\n")) {
            return source.substring(0, source.length() - 2);
        }
        return source.endsWith("\n") || source.endsWith("\r") ? source.substring(0, source.length() - 1) : source;
    }

    /** The model directory's chat template, if it has one. */
    public static Optional<ChatTemplate> find(Path directory) {
        for (String name : FILES) {
            Path path = directory.resolve(name);
            if (!Files.isRegularFile(path)) {
                continue;
            }
            JsonNode template = readJson(path).get("chat_template");
            if (template == null || template.isNull()) {
                continue;
            }
            return Optional.of(new ChatTemplate(templateText(template, path), path.toString(),
                    specialTokens(directory)));
        }
        return Optional.empty();
    }

    /** A string, or transformers' named list {@code [{"name": "default", "template": ...}, ...]}. */
    private static String templateText(JsonNode template, Path path) {
        if (template.isTextual()) {
            return template.textValue();
        }
        if (template.isArray()) {
            for (JsonNode named : template) {
                if ("default".equals(named.path("name").asText(null)) && named.path("template").isTextual()) {
                    return named.path("template").textValue();
                }
            }
            throw new InvalidInputException(path.toString(), "chat_template lists no template named \"default\"");
        }
        throw new InvalidInputException(path.toString(), "chat_template: expected a string, found " + template.getNodeType());
    }

    /** tokenizer_config.json's special tokens, special_tokens_map.json filling in what it lacks. */
    private static Map<String, String> specialTokens(Path directory) {
        Map<String, String> tokens = new LinkedHashMap<>();
        for (String name : List.of("tokenizer_config.json", "special_tokens_map.json")) {
            Path path = directory.resolve(name);
            if (!Files.isRegularFile(path)) {
                continue;
            }
            JsonNode root = readJson(path);
            for (String key : SPECIAL_TOKENS) {
                JsonNode value = root.get(key);
                String content = value == null ? null : value.isTextual() ? value.textValue()
                        : value.path("content").isTextual() ? value.path("content").textValue() : null;
                if (content != null) {
                    tokens.putIfAbsent(key, content);
                }
            }
        }
        return tokens;
    }

    private static JsonNode readJson(Path path) {
        try {
            JsonNode root = new ObjectMapper().readTree(SmallFiles.readText(path));
            if (root == null || !root.isObject()) {
                throw new InvalidInputException(path.toString(), "expected a JSON object");
            }
            return root;
        } catch (IOException e) {
            throw new InvalidInputException(path.toString(), "cannot be read as JSON: " + e.getMessage());
        }
    }

    public String file() {
        return file;
    }

    /** The text of {@code bos_token}, or null: a rendered prompt starting with it gets no second one. */
    public String bosToken() {
        return (String) specialTokens.get("bos_token");
    }

    /**
     * Renders a conversation. Each message is {@code {"role": ..., "content": ...}} with content a string or a list
     * of parts {@code {"type": "image"}} / {@code {"type": "text", "text": ...}}, as transformers takes them.
     */
    public String render(List<Map<String, Object>> messages, boolean addGenerationPrompt) {
        Map<String, Object> context = new LinkedHashMap<>(specialTokens);
        context.put("messages", messages);
        context.put("tools", null);
        context.put("documents", null);
        context.put("add_generation_prompt", addGenerationPrompt);
        RenderResult result = JINJAVA.renderForResult(prepared, context);
        for (TemplateError error : result.getErrors()) {
            if (error.getSeverity() != TemplateError.ErrorType.FATAL) {
                continue;
            }
            for (Throwable t = error.getException(); t != null; t = t.getCause()) {
                if (t instanceof RaisedException raised) {
                    throw new InvalidInputException("chat template", raised.getMessage() + " (" + file + ")");
                }
            }
            throw new InvalidInputException("chat template", "cannot be rendered: " + error.getMessage()
                    + " (line " + error.getLineno() + " of " + file + ")");
        }
        return result.getOutput();
    }

    static String withoutComments(String template) {
        Matcher m = COMMENT.matcher(template);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement("{%" + m.group(1) + " " + NoOutputTag.NAME + " "
                    + m.group(3) + "%}"));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static Jinjava newEngine() {
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonStringMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(false)
                .withElResolver(resolver)
                // {{- x -}} trims as in Jinja; Python's repr for lists and dicts.
                .withLegacyOverrides(LegacyOverrides.newBuilder().withUseTrimmingForNotesAndExpressions(true)
                        .withUsePyishObjectMapper(true).withKeepNullableLoopValues(true).build())
                .withInterperterFactory(PythonStr.INTERPRETERS)
                .build();
        Jinjava jinjava = new Jinjava(config);
        jinjava.getGlobalContext().registerTag(new GenerationTag());
        jinjava.getGlobalContext().registerTag(new NoOutputTag());
        jinjava.getGlobalContext().registerFilter(new PythonJson.ToJsonFilter());
        jinjava.getGlobalContext().registerFilter(new PythonStr.StringFilter());
        try {
            jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception",
                    ChatTemplate.class.getDeclaredMethod("raiseException", String.class)));
            jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "strftime_now",
                    Strftime.class.getDeclaredMethod("now", String.class)));
        } catch (NoSuchMethodException e) {
            throw new AssertionError(e);
        }
        return jinjava;
    }

    /** transformers' {@code raise_exception}: the template refuses the conversation. */
    public static String raiseException(String message) {
        throw new RaisedException(message);
    }

    private static final class RaisedException extends RuntimeException {
        RaisedException(String message) {
            super(message, null, false, false);
        }
    }

    /** transformers' AssistantTracker tag: it only records where its body lands, so the body is the output. */
    static final class GenerationTag implements Tag {
        @Override
        public String getName() {
            return "generation";
        }

        @Override
        public String getEndTagName() {
            return "endgeneration";
        }

        @Override
        public String interpret(TagNode tagNode, JinjavaInterpreter interpreter) {
            StringBuilder out = new StringBuilder();
            for (Node child : tagNode.getChildren()) {
                out.append(child.render(interpreter).getValue());
            }
            return out.toString();
        }
    }

    /** What a comment becomes, so that {@code {#- ... -#}}, trim_blocks and lstrip_blocks treat it as Jinja does. */
    static final class NoOutputTag implements Tag {
        static final String NAME = "mod4j_comment";

        @Override
        public String getName() {
            return NAME;
        }

        @Override
        public String getEndTagName() {
            return null;
        }

        @Override
        public String interpret(TagNode tagNode, JinjavaInterpreter interpreter) {
            return "";
        }
    }

    /** Python's strftime codes (the common ones) → java.time. */
    static final class Strftime {
        private Strftime() {
        }

        public static String now(String format) {
            return format(java.time.LocalDateTime.now(), format);
        }

        static String format(java.time.LocalDateTime t, String format) {
            StringBuilder out = new StringBuilder();
            for (int i = 0; i < format.length(); i++) {
                char c = format.charAt(i);
                if (c != '%' || i + 1 == format.length()) {
                    out.append(c);
                    continue;
                }
                char code = format.charAt(++i);
                String pattern = switch (code) {
                    case 'Y' -> "yyyy";
                    case 'y' -> "yy";
                    case 'm' -> "MM";
                    case 'd' -> "dd";
                    case 'B' -> "MMMM";
                    case 'b' -> "MMM";
                    case 'A' -> "EEEE";
                    case 'a' -> "EEE";
                    case 'H' -> "HH";
                    case 'I' -> "hh";
                    case 'M' -> "mm";
                    case 'S' -> "ss";
                    case 'p' -> "a";
                    case 'j' -> "DDD";
                    default -> null;
                };
                if (code == '%') {
                    out.append('%');
                } else if (pattern == null) {
                    out.append('%').append(code);
                } else {
                    out.append(java.time.format.DateTimeFormatter.ofPattern(pattern, java.util.Locale.ROOT).format(t));
                }
            }
            return out.toString();
        }
    }
}
