package dev.mod4j.runtime.schedule;

import java.util.List;

/** Every layer processes every token: the baseline all other schedules are compared with. */
public final class DenseSchedule implements TokenSchedule {
    @Override
    public String spec() {
        return "dense";
    }

    @Override
    public LayerPlan plan(int layer, ScheduleContext context) {
        return LayerPlan.DENSE;
    }

    /** {@code dense}: no keys. */
    public static final class Method implements ScheduleMethod {
        @Override
        public String name() {
            return "dense";
        }

        @Override
        public String summary() {
            return "every layer processes every token (the reference)";
        }

        @Override
        public List<ScheduleKey> keys() {
            return List.of();
        }

        @Override
        public TokenSchedule create(ScheduleArguments arguments) {
            return new DenseSchedule();
        }
    }
}
