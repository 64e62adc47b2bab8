package dev.mod4j.runtime.schedule;

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
}
