package dev.mod4j.runtime.schedule;

import dev.mod4j.loaders.InvalidInputException;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A schedule written as text: {@code method} or {@code method:key=value;key=value}, e.g.
 * {@code pdrop:layers=8,16,24;ratios=0.5,0.25,0.125}, {@code fastv:k=2;r=0.5}, {@code pmod:rmax=0.85;rmin=0.15},
 * {@code gmod:skip=0.5}. {@link Schedules#create} turns it into a {@link TokenSchedule} for a model.
 */
public record ScheduleSpec(String method, Map<String, String> parameters) {

    /** The source {@link InvalidInputException}s about specs name (a CLI maps it to its flag). */
    public static final String SOURCE = "schedule spec";

    public ScheduleSpec {
        // Keeps the given order, so that toString writes the keys as they were given (or in a method's key order).
        parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
    }

    public static ScheduleSpec parse(String text) {
        if (text == null || text.isBlank()) {
            throw new InvalidInputException(SOURCE, "empty; methods: "
                    + String.join(", ", ScheduleMethods.names()));
        }
        String trimmed = text.trim();
        int colon = trimmed.indexOf(':');
        String method = (colon < 0 ? trimmed : trimmed.substring(0, colon)).trim().toLowerCase();
        ScheduleMethod definition = ScheduleMethods.find(method);
        if (definition == null) {
            throw new InvalidInputException(SOURCE, "unknown method '" + method + "' in '" + text
                    + "'; methods: " + String.join(", ", ScheduleMethods.names()));
        }
        Map<String, String> params = new LinkedHashMap<>();
        if (colon >= 0) {
            for (String pair : trimmed.substring(colon + 1).split(";")) {
                if (pair.isBlank()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                if (eq < 0) {
                    throw new InvalidInputException(SOURCE, method + ": '" + pair.trim()
                            + "' is not key=value; " + describeKeys(method));
                }
                String key = pair.substring(0, eq).trim().toLowerCase();
                if (definition.keys().stream().noneMatch(k -> k.name().equals(key))) {
                    throw new InvalidInputException(SOURCE, method + ": unknown key '" + key + "'; "
                            + describeKeys(method));
                }
                if (params.put(key, pair.substring(eq + 1).trim()) != null) {
                    throw new InvalidInputException(SOURCE, method + ": key '" + key + "' given twice");
                }
            }
        }
        return new ScheduleSpec(method, params);
    }

    /**
     * Splits a comma-separated list of specs whose own values may contain commas
     * ({@code dense,pdrop:layers=8,16,24;ratios=0.5,0.25,0.125,gmod}): a piece starts a new spec only if it begins
     * with a method name.
     */
    public static List<ScheduleSpec> parseList(String text) {
        List<String> specs = new ArrayList<>();
        for (String piece : text.split(",")) {
            String head = piece.split(":", 2)[0].trim().toLowerCase();
            if (specs.isEmpty() || ScheduleMethods.find(head) != null) {
                specs.add(piece.trim());
            } else {
                specs.set(specs.size() - 1, specs.getLast() + "," + piece.trim());
            }
        }
        return specs.stream().map(ScheduleSpec::parse).toList();
    }

    static String describeKeys(String method) {
        ScheduleMethod definition = ScheduleMethods.find(method);
        List<ScheduleKey> keys = definition == null ? List.of() : definition.keys();
        if (keys.isEmpty()) {
            return method + " takes no keys";
        }
        return "valid keys: " + String.join("; ", keys.stream().map(ScheduleKey::describe).toList());
    }

    public boolean has(String key) {
        return parameters.containsKey(key);
    }

    public int intValue(String key, int defaultValue, int min, int max) {
        String v = parameters.get(key);
        if (v == null) {
            return defaultValue;
        }
        try {
            int x = parseInteger(v);
            if (x < min || x > max) {
                throw bad(key, v, "must be in " + min + ".." + max);
            }
            return x;
        } catch (NumberFormatException e) {
            throw bad(key, v, "is not an integer");
        }
    }

    public double doubleValue(String key, double defaultValue, double min, double max, boolean minInclusive) {
        String v = parameters.get(key);
        if (v == null) {
            return defaultValue;
        }
        try {
            double x = parseDecimal(v);
            if (!(minInclusive ? x >= min : x > min) || !(x <= max)) {
                throw bad(key, v, "must be in " + (minInclusive ? "[" : "(") + min + ", " + max + "]");
            }
            return x;
        } catch (NumberFormatException e) {
            throw bad(key, v, "is not a number");
        }
    }

    /** A comma list of ints, with ranges like 3-30 expanded. */
    public int[] intList(String key, int[] defaultValue, int min, int max) {
        String v = parameters.get(key);
        if (v == null) {
            return defaultValue;
        }
        List<Integer> out = new ArrayList<>();
        for (String part : v.split(",")) {
            String p = part.trim();
            try {
                int dash = p.indexOf('-', 1);
                int from = parseInteger(dash < 0 ? p : p.substring(0, dash).trim());
                int to = dash < 0 ? from : parseInteger(p.substring(dash + 1).trim());
                if (from > to) {
                    throw bad(key, v, "range '" + p + "' runs backwards");
                }
                for (int i = from; i <= to; i++) {
                    if (i < min || i > max) {
                        throw bad(key, v, "value " + i + " is outside " + min + ".." + max);
                    }
                    out.add(i);
                }
            } catch (NumberFormatException e) {
                throw bad(key, v, "'" + p + "' is not an integer");
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    public double[] doubleList(String key, double[] defaultValue) {
        String v = parameters.get(key);
        if (v == null) {
            return defaultValue;
        }
        String[] parts = v.split(",");
        double[] out = new double[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = parseDecimal(parts[i].trim());
            } catch (NumberFormatException e) {
                throw bad(key, v, "'" + parts[i].trim() + "' is not a number");
            }
        }
        return out;
    }

    /** Decimal numbers as a user writes them (0.5, .5, 5e-1); not Java's 0.5d, 0x1p-1, NaN or Infinity. */
    private static final java.util.regex.Pattern DECIMAL =
            java.util.regex.Pattern.compile("[+-]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][+-]?\\d+)?");

    /** ASCII decimal integers only (Integer.parseInt also takes other scripts' digits). */
    private static int parseInteger(String text) {
        if (!text.matches("[+-]?[0-9]+")) {
            throw new NumberFormatException(text);
        }
        return Integer.parseInt(text);
    }

    private static double parseDecimal(String text) {
        if (!DECIMAL.matcher(text).matches()) {
            throw new NumberFormatException(text);
        }
        return Double.parseDouble(text);
    }

    public String stringValue(String key, String defaultValue) {
        return parameters.getOrDefault(key, defaultValue);
    }

    public InvalidInputException bad(String key, String value, String problem) {
        return new InvalidInputException(SOURCE, method + ": " + key + "=" + value + " " + problem + "; "
                + describeKeys(method));
    }

    /** A spec naming {@code method} with no keys yet; add them with {@link #with}. */
    public static ScheduleSpec of(String method) {
        return new ScheduleSpec(method, Map.of());
    }

    /** This spec with {@code key} set to {@code value}, written canonically ({@link #canonicalValue}). */
    public ScheduleSpec with(String key, Object value) {
        Map<String, String> more = new LinkedHashMap<>(parameters);
        more.put(key, canonicalValue(value));
        return new ScheduleSpec(method, more);
    }

    /** How a resolved value is written: numbers as Java prints them ({@code 0.5}, {@code 1.0}), lists comma-joined. */
    public static String canonicalValue(Object value) {
        return switch (value) {
            case int[] ints -> String.join(",", java.util.Arrays.stream(ints).mapToObj(Integer::toString).toList());
            case double[] doubles -> String.join(",", java.util.Arrays.stream(doubles).mapToObj(Double::toString)
                    .toList());
            default -> String.valueOf(value);
        };
    }

    /** {@code method} or {@code method:key=value;...}, the keys in their order here. */
    @Override
    public String toString() {
        if (parameters.isEmpty()) {
            return method;
        }
        StringBuilder sb = new StringBuilder(method).append(':');
        parameters.forEach((k, v) -> sb.append(k).append('=').append(v).append(';'));
        sb.setLength(sb.length() - 1);
        return sb.toString();
    }
}
