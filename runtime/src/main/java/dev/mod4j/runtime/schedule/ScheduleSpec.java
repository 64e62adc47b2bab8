package dev.mod4j.runtime.schedule;

import dev.mod4j.loaders.InvalidInputException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A schedule written as text: {@code method} or {@code method:key=value;key=value}, e.g.
 * {@code pdrop:layers=8,16,24;ratios=0.5,0.25,0.125}, {@code fastv:k=2;r=0.5}, {@code pmod:rmax=0.85;rmin=0.15},
 * {@code gmod:skip=0.5}. {@link Schedules#create} turns it into a {@link TokenSchedule} for a model.
 */
public record ScheduleSpec(String method, Map<String, String> parameters) {

    /** The methods and their keys, with what each accepts (shown in error messages). */
    public static final Map<String, Map<String, String>> KEYS = Map.of(
            "dense", Map.of(),
            "fastv", Map.of("k", "prune after layer K (1-based, 1..L-1; default 2)",
                    "r", "fraction of image tokens pruned, in [0, 1) (default 0.5)"),
            "pdrop", Map.of("layers", "1-based layers after which to drop, ascending, in 1..L-1 (default L/4, L/2, 3L/4: 8,16,24 for 32 layers)",
                    "ratios", "fraction of the original image tokens kept after each, in (0, 1], non-increasing"
                            + " (default 0.5,0.25,0.125)"),
            "gmod", Map.of("layers", "MoD layers, 0-based, list or ranges like 3-30 (default: the checkpoint's, else"
                            + " all but 0, 1, 2 and L-1)",
                    "skip", "fixed fraction of the system+image prefix skipped by top-k, in [0, 1] (default: off, the"
                            + " released threshold rule)",
                    "threshold", "prefill keeps tokens with p > threshold, in [0, 1) (default 0.005)",
                    "decode_threshold", "decode skips a token with p < this, in [0, 1] (default 0.5)"),
            "pmod", Map.of("rmax", "layers whose decayed ratio is <= rmax are MoD, in (0, 1] (default 0.85)",
                    "rmin", "lowest ratio, in [0, 1] (default 0.15)",
                    "mean", "mean ratio of the decay curve (mod_router_factor), in (0, 1] (default 0.5)",
                    "decay", "shiftedcos or shiftedlinear (default shiftedcos)",
                    "alpha", "TanhNorm scale (default 0.2)", "beta", "TanhNorm offset (default 1)"));

    public static ScheduleSpec parse(String text) {
        if (text == null || text.isBlank()) {
            throw new InvalidInputException("--schedule", "empty schedule spec; methods: " + KEYS.keySet());
        }
        String trimmed = text.trim();
        int colon = trimmed.indexOf(':');
        String method = (colon < 0 ? trimmed : trimmed.substring(0, colon)).trim().toLowerCase();
        Map<String, String> allowed = KEYS.get(method);
        if (allowed == null) {
            throw new InvalidInputException("--schedule", "unknown method '" + method + "' in '" + text
                    + "'; methods: dense, fastv, pdrop, gmod, pmod");
        }
        Map<String, String> params = new LinkedHashMap<>();
        if (colon >= 0) {
            for (String pair : trimmed.substring(colon + 1).split(";")) {
                if (pair.isBlank()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                if (eq < 0) {
                    throw new InvalidInputException("--schedule", method + ": '" + pair.trim()
                            + "' is not key=value; " + describeKeys(method));
                }
                String key = pair.substring(0, eq).trim().toLowerCase();
                if (!allowed.containsKey(key)) {
                    throw new InvalidInputException("--schedule", method + ": unknown key '" + key + "'; "
                            + describeKeys(method));
                }
                if (params.put(key, pair.substring(eq + 1).trim()) != null) {
                    throw new InvalidInputException("--schedule", method + ": key '" + key + "' given twice");
                }
            }
        }
        return new ScheduleSpec(method, Map.copyOf(params));
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
            if (specs.isEmpty() || KEYS.containsKey(head)) {
                specs.add(piece.trim());
            } else {
                specs.set(specs.size() - 1, specs.getLast() + "," + piece.trim());
            }
        }
        return specs.stream().map(ScheduleSpec::parse).toList();
    }

    static String describeKeys(String method) {
        Map<String, String> keys = KEYS.get(method);
        if (keys.isEmpty()) {
            return method + " takes no keys";
        }
        StringBuilder sb = new StringBuilder("valid keys: ");
        keys.forEach((k, v) -> sb.append(k).append(" (").append(v).append("); "));
        sb.setLength(sb.length() - 2);
        return sb.toString();
    }

    public boolean has(String key) {
        return parameters.containsKey(key);
    }

    int intValue(String key, int defaultValue, int min, int max) {
        String v = parameters.get(key);
        if (v == null) {
            return defaultValue;
        }
        try {
            int x = Integer.parseInt(v);
            if (x < min || x > max) {
                throw bad(key, v, "must be in " + min + ".." + max);
            }
            return x;
        } catch (NumberFormatException e) {
            throw bad(key, v, "is not an integer");
        }
    }

    double doubleValue(String key, double defaultValue, double min, double max, boolean minInclusive) {
        String v = parameters.get(key);
        if (v == null) {
            return defaultValue;
        }
        try {
            double x = Double.parseDouble(v);
            if (!(minInclusive ? x >= min : x > min) || !(x <= max)) {
                throw bad(key, v, "must be in " + (minInclusive ? "[" : "(") + min + ", " + max + "]");
            }
            return x;
        } catch (NumberFormatException e) {
            throw bad(key, v, "is not a number");
        }
    }

    /** A comma list of ints, with ranges like 3-30 expanded. */
    int[] intList(String key, int[] defaultValue, int min, int max) {
        String v = parameters.get(key);
        if (v == null) {
            return defaultValue;
        }
        List<Integer> out = new ArrayList<>();
        for (String part : v.split(",")) {
            String p = part.trim();
            try {
                int dash = p.indexOf('-', 1);
                int from = Integer.parseInt(dash < 0 ? p : p.substring(0, dash).trim());
                int to = dash < 0 ? from : Integer.parseInt(p.substring(dash + 1).trim());
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

    double[] doubleList(String key, double[] defaultValue) {
        String v = parameters.get(key);
        if (v == null) {
            return defaultValue;
        }
        String[] parts = v.split(",");
        double[] out = new double[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Double.parseDouble(parts[i].trim());
            } catch (NumberFormatException e) {
                throw bad(key, v, "'" + parts[i].trim() + "' is not a number");
            }
        }
        return out;
    }

    String stringValue(String key, String defaultValue) {
        return parameters.getOrDefault(key, defaultValue);
    }

    InvalidInputException bad(String key, String value, String problem) {
        return new InvalidInputException("--schedule", method + ": " + key + "=" + value + " " + problem + "; "
                + describeKeys(method));
    }

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
