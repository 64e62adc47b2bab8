package dev.mod4j.runtime.schedule;

import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.layout.ModelFiles;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a {@link ScheduleMethod} makes a schedule from: the parsed spec, read through typed readers that check each
 * value against its range and default, and the model it is for. Every value read is recorded, so that
 * {@link #canonical()} is the spec with every value resolved (defaults filled in, lists expanded) in the method's
 * key order: what the schedule's {@link TokenSchedule#spec()} returns and what recreates it.
 */
public final class ScheduleArguments {
    private final ScheduleMethod method;
    private final ScheduleSpec given;
    private final ModelFiles files;
    private final Map<String, String> resolved = new LinkedHashMap<>();

    public ScheduleArguments(ScheduleMethod method, ScheduleSpec given, ModelFiles files) {
        if (!method.name().equals(given.method())) {
            throw new IllegalArgumentException("spec " + given + " is not for method " + method.name());
        }
        this.method = method;
        this.given = given;
        this.files = files;
    }

    /** The model's files: its config and checkpoint (router tensors, config fields the defaults come from). */
    public ModelFiles files() {
        return files;
    }

    /** The model's decoder layer count L. */
    public int layers() {
        return files.config().text().numHiddenLayers();
    }

    /** The spec as written. */
    public ScheduleSpec given() {
        return given;
    }

    public boolean has(String key) {
        return given.has(declared(key).name());
    }

    public int intValue(String key, int defaultValue, int min, int max) {
        int v = given.intValue(declared(key).name(), defaultValue, min, max);
        record(key, ScheduleSpec.canonicalValue(v), v == defaultValue);
        return v;
    }

    public double doubleValue(String key, double defaultValue, double min, double max, boolean minInclusive) {
        double v = given.doubleValue(declared(key).name(), defaultValue, min, max, minInclusive);
        record(key, ScheduleSpec.canonicalValue(v), v == defaultValue);
        return v;
    }

    /** A number whose absence means "off" (null); the canonical spec writes it when given. */
    public Double optionalDouble(String key, double min, double max, boolean minInclusive) {
        if (!has(key)) {
            return null;
        }
        double v = given.doubleValue(key, 0, min, max, minInclusive);
        record(key, ScheduleSpec.canonicalValue(v), false);
        return v;
    }

    /** A comma list of ints, ranges like {@code 3-30} expanded. */
    public int[] intList(String key, int[] defaultValue, int min, int max) {
        int[] v = given.intList(declared(key).name(), defaultValue, min, max);
        record(key, ScheduleSpec.canonicalValue(v), Arrays.equals(v, defaultValue));
        return v;
    }

    /** A set of ints (list or ranges, as {@link #intList}), ascending without repeats. */
    public int[] intSet(String key, int[] defaultValue, int min, int max) {
        int[] v = Arrays.stream(given.intList(declared(key).name(), defaultValue, min, max)).sorted().distinct()
                .toArray();
        record(key, ScheduleSpec.canonicalValue(v),
                Arrays.equals(v, Arrays.stream(defaultValue).sorted().distinct().toArray()));
        return v;
    }

    public double[] doubleList(String key, double[] defaultValue) {
        double[] v = given.doubleList(declared(key).name(), defaultValue);
        record(key, ScheduleSpec.canonicalValue(v), Arrays.equals(v, defaultValue));
        return v;
    }

    /** One of {@code choices}, written as given. */
    public String choice(String key, String defaultValue, List<String> choices) {
        String v = given.stringValue(declared(key).name(), defaultValue);
        if (!choices.contains(v)) {
            throw bad(key, v, "must be " + String.join(" or ", choices));
        }
        record(key, v, v.equals(defaultValue));
        return v;
    }

    /** An error about a key's value, naming the spec and listing the method's keys. */
    public InvalidInputException bad(String key, String value, String problem) {
        return given.bad(key, value, problem);
    }

    /** The spec with the values read so far, in the method's key order. */
    public ScheduleSpec canonical() {
        Map<String, String> ordered = new LinkedHashMap<>();
        for (ScheduleKey k : method.keys()) {
            if (resolved.containsKey(k.name())) {
                ordered.put(k.name(), resolved.get(k.name()));
            }
        }
        return new ScheduleSpec(method.name(), ordered);
    }

    private void record(String key, String canonicalValue, boolean isDefault) {
        if (declared(key).alwaysInSpec() || !isDefault) {
            resolved.put(key, canonicalValue);
        }
    }

    private ScheduleKey declared(String key) {
        return method.keys().stream().filter(k -> k.name().equals(key)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(method.name() + " reads key '" + key
                        + "', which it does not declare in keys()"));
    }
}
