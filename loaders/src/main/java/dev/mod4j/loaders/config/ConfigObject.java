package dev.mod4j.loaders.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A JSON object of a config file, read field by field with HuggingFace's defaults for absent fields.
 * Remembers which fields were read, so the rest can be kept as "extra" fields instead of being dropped.
 * Error messages name the file and the field path ({@code config.json: text_config.hidden_size: ...}).
 */
final class ConfigObject {
    private final String file;
    private final String path;
    private final ObjectNode node;
    private final Set<String> read = new HashSet<>();

    ConfigObject(String file, String path, ObjectNode node) {
        this.file = file;
        this.path = path;
        this.node = node;
    }

    static ConfigObject of(String file, String path, JsonNode node) {
        if (!(node instanceof ObjectNode object)) {
            throw new ConfigException(file, (path.isEmpty() ? "top level" : path) + ": expected a JSON object, found "
                    + (node == null ? "nothing" : node.getNodeType()));
        }
        return new ConfigObject(file, path, object);
    }

    String where(String field) {
        return file + ": " + (path.isEmpty() ? "" : path + ".") + field;
    }

    boolean has(String field) {
        JsonNode v = node.get(field);
        return v != null && !v.isNull();
    }

    /** Whether {@code field} is written as JSON null (which some fields distinguish from absent). */
    boolean writtenAsNull(String field) {
        JsonNode v = node.get(field);
        if (v != null && v.isNull()) {
            read.add(field);
            return true;
        }
        return false;
    }

    private JsonNode get(String field) {
        read.add(field);
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v;
    }

    ConfigObject object(String field) {
        JsonNode v = get(field);
        return v == null ? null : of(file, path.isEmpty() ? field : path + "." + field, v);
    }

    int intValue(String field, int defaultValue) {
        Integer v = intOrNull(field);
        return v == null ? defaultValue : v;
    }

    Integer intOrNull(String field) {
        JsonNode v = get(field);
        if (v == null) {
            return null;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new ConfigException(where(field), "expected an integer, found " + v);
        }
        return v.asInt();
    }

    int positiveInt(String field, int defaultValue) {
        int v = intValue(field, defaultValue);
        if (v <= 0) {
            throw new ConfigException(where(field), "must be a positive integer, found " + v);
        }
        return v;
    }

    /**
     * A positive integer of at most {@code max}: fields that size allocations are bounded by what is plausible, so a
     * config claiming 2^31−1 of something is refused by name before anything is allocated.
     */
    int boundedInt(String field, int defaultValue, int max) {
        int v = positiveInt(field, defaultValue);
        if (v > max) {
            throw new ConfigException(where(field), "is " + v + ", over the limit of " + max
                    + " (no real model has that many; mod4j refuses it before allocating)");
        }
        return v;
    }

    double doubleValue(String field, double defaultValue) {
        JsonNode v = get(field);
        if (v == null) {
            return defaultValue;
        }
        if (!v.isNumber()) {
            throw new ConfigException(where(field), "expected a number, found " + v);
        }
        return v.asDouble();
    }

    boolean booleanValue(String field, boolean defaultValue) {
        JsonNode v = get(field);
        if (v == null) {
            return defaultValue;
        }
        if (!v.isBoolean()) {
            throw new ConfigException(where(field), "expected true or false, found " + v);
        }
        return v.asBoolean();
    }

    String string(String field, String defaultValue) {
        JsonNode v = get(field);
        if (v == null) {
            return defaultValue;
        }
        if (!v.isTextual()) {
            throw new ConfigException(where(field), "expected a string, found " + v);
        }
        return v.asText();
    }

    /** An integer or a list of integers (HF allows both for eos_token_id). */
    List<Integer> intList(String field, List<Integer> defaultValue) {
        JsonNode v = get(field);
        if (v == null) {
            return defaultValue;
        }
        List<Integer> out = new ArrayList<>();
        if (v.isArray()) {
            for (int i = 0; i < v.size(); i++) {
                JsonNode e = v.get(i);
                if (!e.isIntegralNumber() || !e.canConvertToInt()) {
                    throw new ConfigException(where(field) + "[" + i + "]", "expected an integer, found " + e);
                }
                out.add(e.asInt());
            }
        } else if (v.isIntegralNumber() && v.canConvertToInt()) {
            out.add(v.asInt());
        } else {
            throw new ConfigException(where(field), "expected an integer or a list of integers, found " + v);
        }
        return List.copyOf(out);
    }

    /** Marks fields as understood without reading them (e.g. training-only fields). */
    void ignore(String... fields) {
        Collections.addAll(read, fields);
    }

    /** Fields present in the file that no reader asked for, kept verbatim. */
    Map<String, JsonNode> unreadFields() {
        Map<String, JsonNode> extra = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            if (!read.contains(e.getKey())) {
                extra.put(e.getKey(), e.getValue());
            }
        }
        return Collections.unmodifiableMap(extra);
    }
}
