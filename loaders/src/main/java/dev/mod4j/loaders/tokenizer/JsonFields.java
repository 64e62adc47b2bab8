package dev.mod4j.loaders.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.mod4j.loaders.FileLimit;
import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.SmallFiles;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Typed, checked access to the JSON tree of one tokenizer file. Every accessor takes the field's
 * path as written in messages ({@code model.merges[12]}) so that a wrong type or a missing field
 * becomes a {@link TokenizerFormatException} naming the file and field, never a
 * NullPointerException or ClassCastException.
 */
final class JsonFields {
    /** Real tokenizer.json files are 2 MB (LLaMA) to 17 MB (large multilingual vocabularies). */
    static final long MAX_FILE_BYTES = FileLimit.TOKENIZER.maxBytes();

    private static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private final String file;

    JsonFields(String file) {
        this.file = file;
    }

    String file() {
        return file;
    }

    /** Reads and parses a whole file, refusing files over {@link #MAX_FILE_BYTES}. */
    static JsonNode readTree(Path path, JsonFields fields) {
        try {
            byte[] bytes;
            try {
                bytes = SmallFiles.readBytes(path, MAX_FILE_BYTES);
            } catch (TokenizerFormatException e) {
                throw e;
            } catch (InvalidInputException e) {
                throw fields.error(e.problem());
            }
            // Decode strictly first: Jackson would otherwise turn bad UTF-8 into a vague parse error.
            String text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(bytes))
                    .toString();
            JsonNode root = MAPPER.readTree(text);
            if (root == null || root.isMissingNode()) {
                throw fields.error("file is empty");
            }
            return root;
        } catch (CharacterCodingException e) {
            throw fields.error("not valid UTF-8", e);
        } catch (JsonProcessingException e) {
            var at = e.getLocation();
            String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
            throw fields.error("malformed JSON" + where + ": " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw fields.error("cannot read: " + e, e);
        }
    }

    TokenizerFormatException error(String problem) {
        return new TokenizerFormatException(file, problem);
    }

    TokenizerFormatException error(String problem, Throwable cause) {
        return new TokenizerFormatException(file, problem, cause);
    }

    TokenizerFormatException error(String path, String problem) {
        return new TokenizerFormatException(file, path + ": " + problem);
    }

    /** The member {@code name} of an object node, or null when absent or JSON null. */
    static JsonNode member(JsonNode object, String name) {
        JsonNode value = object.get(name);
        return value == null || value.isNull() ? null : value;
    }

    static String child(String path, String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    static String element(String path, int index) {
        return path + "[" + index + "]";
    }

    JsonNode requireObject(JsonNode node, String path) {
        if (node == null) {
            throw error(path, "missing");
        }
        if (!node.isObject()) {
            throw error(path, "expected an object, found " + describe(node));
        }
        return node;
    }

    JsonNode requireArray(JsonNode node, String path) {
        if (node == null) {
            throw error(path, "missing");
        }
        if (!node.isArray()) {
            throw error(path, "expected an array, found " + describe(node));
        }
        return node;
    }

    String requireString(JsonNode node, String path) {
        if (node == null) {
            throw error(path, "missing");
        }
        if (!node.isTextual()) {
            throw error(path, "expected a string, found " + describe(node));
        }
        return node.textValue();
    }

    /** A string member, or null when absent or JSON null. */
    String optionalString(JsonNode object, String name, String path) {
        JsonNode value = member(object, name);
        return value == null ? null : requireString(value, child(path, name));
    }

    int requireInt(JsonNode node, String path) {
        if (node == null) {
            throw error(path, "missing");
        }
        if (!node.isIntegralNumber() || !node.canConvertToInt()) {
            throw error(path, "expected an integer, found " + describe(node));
        }
        return node.intValue();
    }

    boolean optionalBoolean(JsonNode object, String name, String path, boolean absent) {
        JsonNode value = member(object, name);
        if (value == null) {
            return absent;
        }
        if (!value.isBoolean()) {
            throw error(child(path, name), "expected true or false, found " + describe(value));
        }
        return value.booleanValue();
    }

    /** A string that must hold exactly one Unicode character, as Rust's {@code char} fields do. */
    int requireCodePoint(JsonNode node, String path) {
        String s = requireString(node, path);
        if (s.isEmpty() || s.codePointCount(0, s.length()) != 1) {
            throw error(path, "expected a single character, found " + describe(node));
        }
        return s.codePointAt(0);
    }

    /** How a value looks, for messages: the type, and the value itself when short. */
    static String describe(JsonNode node) {
        if (node == null || node.isMissingNode()) {
            return "nothing";
        }
        if (node.isNull()) {
            return "null";
        }
        if (node.isTextual()) {
            String s = node.textValue();
            return "string " + quote(s.length() > 40 ? s.substring(0, 40) + "..." : s);
        }
        if (node.isNumber()) {
            return "number " + node.asText();
        }
        if (node.isBoolean()) {
            return node.asText();
        }
        if (node.isArray()) {
            return "an array of " + node.size();
        }
        return "an object";
    }

    /** A string in double quotes with control characters escaped, for messages. */
    static String quote(String s) {
        StringBuilder out = new StringBuilder(s.length() + 2).append('"');
        s.codePoints().forEach(cp -> {
            if (cp == '"' || cp == '\\') {
                out.append('\\').appendCodePoint(cp);
            } else if (cp < 0x20 || cp == 0x7f) {
                out.append(String.format("\\u%04x", cp));
            } else {
                out.appendCodePoint(cp);
            }
        });
        return out.append('"').toString();
    }
}
