package dev.mod4j.runtime.schedule;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

class PModScheduleTest {
    static float weight(double logit) {
        return (float) (0.2 * Math.tanh(logit) + 1);
    }

    @Test
    void aModLayerProcessesTheTopImageRowsByTanhNormWeightAndScalesTheRest() {
        PModSchedule pmod = new PModSchedule(PModRouters.zero(List.of(1), 4), Map.of(1, 0.5), 0.2, 1.0, "pmod");
        // Rows 0 system, 1-4 image, 5 instruction. Logits .5, -1, 2, .5: rows 1 and 4 tie.
        FakeScheduleContext c = FakeScheduleContext.prefill("SIIIIQ").logits(0, 0.5f, -1f, 2f, 0.5f, 0);
        assertSame(LayerPlan.DENSE, pmod.plan(0, c), "layer 0 has no retention: dense");

        LayerPlan plan = pmod.plan(1, c);
        // trunc(4 · 0.5) = 2 image rows: row 3 (weight of logit 2), then row 1 (ties with row 4, lower row wins).
        assertArrayEquals(new int[]{0, 1, 3, 5}, plan.processedRows());
        assertArrayEquals(new float[]{1, weight(0.5), weight(2), 1}, plan.mlpGate());
        assertArrayEquals(new float[]{1, 1, weight(-1), 1, weight(0.5), 1}, plan.skippedRowScale(),
                "STRing: a skipped image row is scaled by its weight");
        assertArrayEquals(new float[]{1, weight(0.5), weight(-1), weight(2), weight(0.5), 1}, plan.scores());
        assertEquals(PositionRule.ORIGINAL, plan.positions());
        // Only image rows are scored, on the raw residual stream (no norm), by a one-output router.
        assertEquals(1, c.rowScoresCalls.size());
        assertArrayEquals(new int[]{1, 2, 3, 4}, c.rowScoresCalls.getFirst().rows());
        assertEquals(-1, c.rowScoresCalls.getFirst().normLayer());
        assertNull(pmod.survivors(1, c));
        assertEquals("pmod", pmod.spec());
    }

    @Test
    void decodeAndImagelessPromptsAreDense() {
        PModSchedule pmod = new PModSchedule(PModRouters.zero(List.of(1), 4), Map.of(1, 0.5), 0.2, 1.0, "pmod");
        assertSame(LayerPlan.DENSE, pmod.plan(1, FakeScheduleContext.decode("R")));
        assertSame(LayerPlan.DENSE, pmod.plan(1, FakeScheduleContext.prefill("SQQ").logits(0, 0, 0)));
    }

    @Test
    void ratioOneProcessesEveryRowWithItsWeightAsGate() {
        PModSchedule pmod = new PModSchedule(PModRouters.zero(List.of(0), 4), Map.of(0, 1.0), 0.2, 1.0, "pmod");
        LayerPlan plan = pmod.plan(0, FakeScheduleContext.prefill("SIIQ").logits(0, 0, 1f, 0));
        assertNull(plan.processedRows());
        assertArrayEquals(new float[]{1, 1, weight(1), 1}, plan.mlpGate());
    }
}
