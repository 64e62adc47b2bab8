package org.example.userschedule;

import dev.mod4j.runtime.schedule.LayerPlan;
import dev.mod4j.runtime.schedule.Phase;
import dev.mod4j.runtime.schedule.Rows;
import dev.mod4j.runtime.schedule.ScheduleArguments;
import dev.mod4j.runtime.schedule.ScheduleContext;
import dev.mod4j.runtime.schedule.ScheduleKey;
import dev.mod4j.runtime.schedule.ScheduleMethod;
import dev.mod4j.runtime.schedule.ScheduleSpec;
import dev.mod4j.runtime.schedule.TokenSchedule;

import java.util.List;

/**
 * A method written outside mod4j, as a user would: after layer {@code after} (1-based) keep only the first
 * {@code round(keep · N_v)} image tokens, in reading order. Registered in
 * {@code META-INF/services/dev.mod4j.runtime.schedule.ScheduleMethod}, so the CLI runs it by name.
 */
public final class KeepFirstImages implements TokenSchedule {
    private final int after;
    private final double keep;
    private final ScheduleSpec spec;

    KeepFirstImages(int after, double keep, ScheduleSpec spec) {
        this.after = after;
        this.keep = keep;
        this.spec = spec;
    }

    @Override
    public String spec() {
        return spec.toString();
    }

    @Override
    public LayerPlan plan(int layer, ScheduleContext context) {
        return LayerPlan.DENSE;
    }

    @Override
    public int[] survivors(int layer, ScheduleContext context) {
        if (context.phase() != Phase.PREFILL || layer != after - 1) {
            return null;
        }
        float[] earlierIsHigher = new float[context.rows()];
        for (int r = 0; r < earlierIsHigher.length; r++) {
            earlierIsHigher[r] = -r;
        }
        return Rows.keepTopImages(context, earlierIsHigher, (int) Math.round(keep * Rows.image(context).length));
    }

    /** The service: {@code keepfirst:keep=0.5;after=1}. */
    public static final class Method implements ScheduleMethod {
        @Override
        public String name() {
            return "keepfirst";
        }

        @Override
        public String summary() {
            return "after layer AFTER, keep the first image tokens in reading order (a user's method)";
        }

        @Override
        public List<ScheduleKey> keys() {
            return List.of(ScheduleKey.of("keep", "fraction of image tokens kept", "[0, 1]", "0.5"),
                    ScheduleKey.of("after", "drop after this layer (1-based)", "1..L-1", "1"));
        }

        @Override
        public TokenSchedule create(ScheduleArguments arguments) {
            double keep = arguments.doubleValue("keep", 0.5, 0, 1, true);
            int after = arguments.intValue("after", 1, 1, arguments.layers() - 1);
            return new KeepFirstImages(after, keep, arguments.canonical());
        }
    }
}
