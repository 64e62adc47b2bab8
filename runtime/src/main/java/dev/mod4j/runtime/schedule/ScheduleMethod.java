package dev.mod4j.runtime.schedule;

import java.util.List;

/**
 * A token-schedule method as the spec syntax knows it: its name, its keys, and how to make a schedule from a
 * parsed spec. One per method, next to the method's {@link TokenSchedule} (e.g. {@code FastVSchedule.Method}).
 *
 * <p>A service: mod4j's methods are listed in {@link ScheduleMethods}; a method of your own becomes usable by name
 * ({@code --schedule}, {@code compare}, the report, {@code Llava.schedule}) by putting its class name into
 * {@code META-INF/services/dev.mod4j.runtime.schedule.ScheduleMethod} on the class path. The class needs a public
 * no-argument constructor.
 */
public interface ScheduleMethod {
    /** The method's name in a spec, lower case ({@code fastv}). */
    String name();

    /** One line saying what the method does (help text). */
    String summary();

    /** The keys a spec may give, in the order the canonical spec writes them. */
    List<ScheduleKey> keys();

    /**
     * A fresh schedule for one sequence on the model in {@code arguments}: read each key through
     * {@code arguments} (which checks ranges and records the canonical spec) and pass
     * {@link ScheduleArguments#canonical()} to the schedule as its {@link TokenSchedule#spec()}.
     */
    TokenSchedule create(ScheduleArguments arguments);

    /**
     * The spec the demo and the report show the method with on an untrained model, where the defaults may show
     * nothing (γ-MoD's threshold keeps every token of a random router).
     */
    default String demoSpec() {
        return name();
    }
}
