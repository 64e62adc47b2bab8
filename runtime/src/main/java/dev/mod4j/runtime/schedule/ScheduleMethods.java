package dev.mod4j.runtime.schedule;

import dev.mod4j.loaders.InvalidInputException;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The schedule methods known by name: mod4j's own ({@link #BUILT_IN}), then those registered as
 * {@link ScheduleMethod} services on the class path, in the order {@link ServiceLoader} finds them.
 */
public final class ScheduleMethods {
    /**
     * mod4j's methods, in the order lists and reports show them. They are registered as services too (runtime's
     * {@code META-INF/services}); this list fixes their order and keeps them known where a repackaged jar has lost
     * the services file.
     */
    public static final List<ScheduleMethod> BUILT_IN = List.of(new DenseSchedule.Method(), new FastVSchedule.Method(),
            new PyramidDropSchedule.Method(), new GammaModSchedule.Method(), new PModSchedule.Method(),
            new DivPruneSchedule.Method(), new DartSchedule.Method(), new VisionZipSchedule.Method());

    // A name must not contain the spec syntax's separators (':', ';', '=', ',').
    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_-]*");

    private ScheduleMethods() {
    }

    // Found once: the class path does not change while mod4j runs.
    private static final class Registry {
        static final Map<String, ScheduleMethod> METHODS = discover();
    }

    private static Map<String, ScheduleMethod> discover() {
        List<ScheduleMethod> found = new ArrayList<>(BUILT_IN);
        for (ScheduleMethod m : ServiceLoader.load(ScheduleMethod.class)) {
            if (BUILT_IN.stream().noneMatch(b -> b.getClass() == m.getClass())) {
                found.add(m);
            }
        }
        Map<String, ScheduleMethod> byName = new LinkedHashMap<>();
        for (ScheduleMethod m : found) {
            String where = "schedule method " + m.getClass().getName();
            if (m.name() == null || !NAME.matcher(m.name()).matches()) {
                throw new InvalidInputException(where, "name '" + m.name() + "' must be lower-case letters, digits,"
                        + " '_' or '-', starting with a letter");
            }
            for (ScheduleKey key : m.keys()) {
                if (!NAME.matcher(key.name()).matches()) {
                    throw new InvalidInputException(where, "key '" + key.name() + "' must be lower-case letters,"
                            + " digits, '_' or '-', starting with a letter");
                }
            }
            ScheduleMethod before = byName.putIfAbsent(m.name(), m);
            if (before != null) {
                throw new InvalidInputException(where, "method name '" + m.name() + "' is taken by "
                        + before.getClass().getName());
            }
        }
        return Collections.unmodifiableMap(byName);
    }

    /** Every registered method, built-ins first. */
    public static List<ScheduleMethod> all() {
        return List.copyOf(Registry.METHODS.values());
    }

    /** The method called {@code name} (lower case), or null. */
    public static ScheduleMethod find(String name) {
        return Registry.METHODS.get(name);
    }

    /** The method called {@code name}; an error listing the methods if there is none. */
    public static ScheduleMethod get(String name) {
        ScheduleMethod m = find(name);
        if (m == null) {
            throw new InvalidInputException(ScheduleSpec.SOURCE, "unknown method '" + name + "'; methods: "
                    + String.join(", ", names()));
        }
        return m;
    }

    public static List<String> names() {
        return List.copyOf(Registry.METHODS.keySet());
    }

    /** Every method with its defaults, comma-separated: {@code dense,fastv,pdrop,gmod,pmod,divprune,dart,visionzip} and any of yours. */
    public static String allWithDefaults() {
        return String.join(",", names());
    }

    /** Every method as the demo shows it on an untrained model ({@link ScheduleMethod#demoSpec()}). */
    public static String allForDemo() {
        return all().stream().map(ScheduleMethod::demoSpec).collect(Collectors.joining(","));
    }

    /** The methods and their keys, one method per paragraph, for help text. */
    public static String help() {
        StringBuilder sb = new StringBuilder();
        for (ScheduleMethod m : all()) {
            sb.append(m.name()).append(": ").append(m.summary()).append('\n');
            for (ScheduleKey k : m.keys()) {
                sb.append("    ").append(k.name()).append("  ").append(k.meaning()).append("; ").append(k.range())
                        .append("; default ").append(k.defaultValue()).append('\n');
            }
        }
        return sb.toString();
    }
}
