package dev.mod4j.runtime.schedule;

import dev.mod4j.loaders.layout.ModelFiles;

/**
 * Makes {@link TokenSchedule}s from {@link ScheduleSpec}s for a given model, through the method the spec names
 * ({@link ScheduleMethods}), with its defaults (the released code's, or the checkpoint's own config fields where it
 * has them) and the checkpoint's router weights.
 */
public final class Schedules {
    private Schedules() {
    }

    public static TokenSchedule create(String spec, ModelFiles files) {
        return create(ScheduleSpec.parse(spec), files);
    }

    public static TokenSchedule create(ScheduleSpec spec, ModelFiles files) {
        ScheduleMethod method = ScheduleMethods.get(spec.method());
        return method.create(new ScheduleArguments(method, spec, files));
    }
}
