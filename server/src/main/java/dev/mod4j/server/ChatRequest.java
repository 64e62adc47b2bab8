package dev.mod4j.server;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A {@code POST /v1/chat/completions} body, checked field by field: a known field of the wrong type or out of range is
 * a 400 naming it; fields this server does not read (user, frequency_penalty, ...) are ignored as OpenAI's own
 * server ignores what does not apply; features it cannot give ({@code n} > 1, logprobs, tools) are refused.
 *
 * @param maxTokens   {@code max_completion_tokens}, else {@code max_tokens}; null: up to the context
 * @param temperature null: the server's default (greedy)
 * @param stop        up to 4 strings that end the answer (not included in it)
 * @param schedule    {@code mod4j.schedule}: a token schedule spec for this request; null: the server's default
 */
public record ChatRequest(List<ChatMessage> messages, Integer maxTokens, Double temperature, Double topP,
                          Integer topK, Long seed, List<String> stop, boolean stream, boolean includeUsage,
                          String schedule) {
    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant");

    /** Reads and checks a parsed JSON body. */
    public static ChatRequest parse(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw ApiError.invalidRequest(null, "the request body must be a JSON object");
        }
        optionalText(body, "model");
        List<ChatMessage> messages = messages(body.get("messages"));
        Integer maxTokens = optionalInt(body, "max_completion_tokens", 1, Integer.MAX_VALUE);
        if (maxTokens == null) {
            maxTokens = optionalInt(body, "max_tokens", 1, Integer.MAX_VALUE);
        }
        Double temperature = optionalNumber(body, "temperature", 0, 2);
        Double topP = optionalNumber(body, "top_p", 0, 1);
        if (topP != null && topP == 0) {
            throw ApiError.invalidRequest("top_p", "'top_p' must be in (0, 1], got 0");
        }
        Integer topK = optionalInt(body, "top_k", 0, Integer.MAX_VALUE);
        Long seed = null;
        JsonNode seedNode = present(body, "seed");
        if (seedNode != null) {
            if (!seedNode.isIntegralNumber() || !seedNode.canConvertToLong()) {
                throw ApiError.invalidRequest("seed", "'seed' must be an integer, got " + describe(seedNode));
            }
            seed = seedNode.asLong();
        }
        Integer n = optionalInt(body, "n", 1, Integer.MAX_VALUE);
        if (n != null && n != 1) {
            throw ApiError.invalidRequest("n", "'n' must be 1 (this server returns one choice per request), got " + n);
        }
        if (optionalBoolean(body, "logprobs", false)) {
            throw ApiError.invalidRequest("logprobs", "'logprobs' is not supported by this server");
        }
        JsonNode tools = present(body, "tools");
        if (tools != null && !(tools.isArray() && tools.isEmpty())) {
            throw ApiError.invalidRequest("tools", "'tools' (function calling) is not supported by this server");
        }
        JsonNode format = present(body, "response_format");
        if (format != null && !(format.isObject() && "text".equals(format.path("type").asText()))) {
            throw ApiError.invalidRequest("response_format", "only {\"type\": \"text\"} is supported");
        }
        boolean stream = optionalBoolean(body, "stream", false);
        boolean includeUsage = false;
        JsonNode streamOptions = present(body, "stream_options");
        if (streamOptions != null) {
            if (!streamOptions.isObject()) {
                throw ApiError.invalidRequest("stream_options", "'stream_options' must be an object, got "
                        + describe(streamOptions));
            }
            includeUsage = optionalBoolean(streamOptions, "include_usage", false);
        }
        String schedule = null;
        JsonNode mod4j = present(body, "mod4j");
        if (mod4j != null) {
            if (!mod4j.isObject()) {
                throw ApiError.invalidRequest("mod4j", "'mod4j' must be an object like {\"schedule\": \"pdrop\"}, got "
                        + describe(mod4j));
            }
            JsonNode spec = present(mod4j, "schedule");
            if (spec != null && !spec.isTextual()) {
                throw ApiError.invalidRequest("mod4j.schedule", "'mod4j.schedule' must be a schedule spec string"
                        + " like \"pdrop\" or \"fastv:k=2;r=0.5\", got " + describe(spec));
            }
            schedule = spec == null ? null : spec.asText();
        }
        return new ChatRequest(messages, maxTokens, temperature, topP, topK, seed, stop(present(body, "stop")),
                stream, includeUsage, schedule);
    }

    private static List<ChatMessage> messages(JsonNode node) {
        if (node == null || node.isNull()) {
            throw ApiError.invalidRequest("messages", "'messages' is required");
        }
        if (!node.isArray() || node.isEmpty()) {
            throw ApiError.invalidRequest("messages", "'messages' must be a non-empty array, got " + describe(node));
        }
        List<ChatMessage> messages = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            String where = "messages[" + i + "]";
            JsonNode m = node.get(i);
            if (!m.isObject()) {
                throw ApiError.invalidRequest(where, "'" + where + "' must be an object, got " + describe(m));
            }
            JsonNode role = m.get("role");
            if (role == null || !role.isTextual() || !ROLES.contains(role.asText())) {
                throw ApiError.invalidRequest(where + ".role", "'" + where + ".role' must be one of " + ROLES
                        + ", got " + (role == null ? "nothing" : describe(role)));
            }
            messages.add(new ChatMessage(role.asText(), parts(m.get("content"), where + ".content")));
        }
        return messages;
    }

    private static List<ChatMessage.Part> parts(JsonNode content, String where) {
        if (content == null || content.isNull()) {
            return List.of();
        }
        if (content.isTextual()) {
            return List.of(new ChatMessage.Text(content.asText()));
        }
        if (!content.isArray()) {
            throw ApiError.invalidRequest(where, "'" + where + "' must be a string or an array of content parts, got "
                    + describe(content));
        }
        List<ChatMessage.Part> parts = new ArrayList<>();
        for (int i = 0; i < content.size(); i++) {
            String at = where + "[" + i + "]";
            JsonNode part = content.get(i);
            String type = part.path("type").asText("");
            switch (type) {
                case "text" -> {
                    JsonNode text = part.get("text");
                    if (text == null || !text.isTextual()) {
                        throw ApiError.invalidRequest(at + ".text", "'" + at + ".text' must be a string");
                    }
                    parts.add(new ChatMessage.Text(text.asText()));
                }
                case "image_url" -> {
                    JsonNode image = part.get("image_url");
                    JsonNode url = image != null && image.isObject() ? image.get("url") : image;
                    if (url == null || !url.isTextual()) {
                        throw ApiError.invalidRequest(at + ".image_url", "'" + at + ".image_url' must be an object"
                                + " with a string 'url'");
                    }
                    parts.add(new ChatMessage.ImageUrl(url.asText()));
                }
                default -> throw ApiError.invalidRequest(at + ".type", "'" + at + ".type' must be \"text\" or"
                        + " \"image_url\", got " + (part.has("type") ? describe(part.get("type")) : "nothing"));
            }
        }
        return parts;
    }

    private static List<String> stop(JsonNode node) {
        if (node == null) {
            return List.of();
        }
        List<String> stop = new ArrayList<>();
        if (node.isTextual()) {
            stop.add(node.asText());
        } else if (node.isArray() && node.size() <= 4) {
            for (JsonNode s : node) {
                if (!s.isTextual()) {
                    throw ApiError.invalidRequest("stop", "'stop' must hold strings, got " + describe(s));
                }
                stop.add(s.asText());
            }
        } else {
            throw ApiError.invalidRequest("stop", "'stop' must be a string or an array of up to 4 strings, got "
                    + describe(node));
        }
        if (stop.stream().anyMatch(String::isEmpty)) {
            throw ApiError.invalidRequest("stop", "'stop' strings must not be empty");
        }
        return List.copyOf(stop);
    }

    /** The field's node, or null when it is absent or JSON null (OpenAI clients send null for "not set"). */
    private static JsonNode present(JsonNode object, String field) {
        JsonNode node = object.get(field);
        return node == null || node.isNull() ? null : node;
    }

    private static String optionalText(JsonNode object, String field) {
        JsonNode node = present(object, field);
        if (node == null) {
            return null;
        }
        if (!node.isTextual()) {
            throw ApiError.invalidRequest(field, "'" + field + "' must be a string, got " + describe(node));
        }
        return node.asText();
    }

    private static boolean optionalBoolean(JsonNode object, String field, boolean absent) {
        JsonNode node = present(object, field);
        if (node == null) {
            return absent;
        }
        if (!node.isBoolean()) {
            throw ApiError.invalidRequest(field, "'" + field + "' must be true or false, got " + describe(node));
        }
        return node.asBoolean();
    }

    private static Integer optionalInt(JsonNode object, String field, int min, int max) {
        JsonNode node = present(object, field);
        if (node == null) {
            return null;
        }
        if (!node.isIntegralNumber() || !node.canConvertToInt() || node.asInt() < min || node.asInt() > max) {
            throw ApiError.invalidRequest(field, "'" + field + "' must be an integer"
                    + (max == Integer.MAX_VALUE ? " >= " + min : " in [" + min + ", " + max + "]") + ", got "
                    + describe(node));
        }
        return node.asInt();
    }

    private static Double optionalNumber(JsonNode object, String field, double min, double max) {
        JsonNode node = present(object, field);
        if (node == null) {
            return null;
        }
        if (!node.isNumber() || !(node.asDouble() >= min && node.asDouble() <= max)) {
            throw ApiError.invalidRequest(field, "'" + field + "' must be a number in [" + min + ", " + max
                    + "], got " + describe(node));
        }
        return node.asDouble();
    }

    /** A short description of a JSON value for messages: its type, and the value when it is short. */
    static String describe(JsonNode node) {
        String type = switch (node.getNodeType()) {
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            case NULL -> "null";
            default -> node.getNodeType().toString().toLowerCase();
        };
        String text = node.toString();
        return node.isContainerNode() || text.length() > 40 ? type : type + " (" + text + ")";
    }
}
