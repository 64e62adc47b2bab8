package dev.mod4j.runtime.schedule;

/**
 * One key of a method's spec, as the help text and error messages show it. Defaults and ranges may depend on the
 * model (its layer count L, its checkpoint's config), so they are written here in words; the method's
 * {@link ScheduleMethod#create} applies them.
 *
 * @param name         the key as written in a spec ({@code k} in {@code fastv:k=2})
 * @param meaning      what the value controls
 * @param range        the values accepted, e.g. {@code 1..L-1} or {@code [0, 1)}
 * @param defaultValue the value when the key is absent, e.g. {@code 2} or {@code the checkpoint's}
 * @param alwaysInSpec whether a schedule's canonical {@link TokenSchedule#spec()} always writes the key (with its
 *                     resolved value), or only when the value differs from the default
 */
public record ScheduleKey(String name, String meaning, String range, String defaultValue, boolean alwaysInSpec) {

    /** A key the canonical spec always writes. */
    public static ScheduleKey of(String name, String meaning, String range, String defaultValue) {
        return new ScheduleKey(name, meaning, range, defaultValue, true);
    }

    /** A key the canonical spec writes only when its value is not the default. */
    public static ScheduleKey optional(String name, String meaning, String range, String defaultValue) {
        return new ScheduleKey(name, meaning, range, defaultValue, false);
    }

    /** {@code k (prune after layer K, 1-based; 1..L-1; default 2)}. */
    public String describe() {
        return name + " (" + meaning + "; " + range + "; default " + defaultValue + ")";
    }
}
