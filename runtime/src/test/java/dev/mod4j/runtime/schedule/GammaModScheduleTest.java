package dev.mod4j.runtime.schedule;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

class GammaModScheduleTest {
    // Rows 0 system, 1-4 image, 5-6 instruction.
    static final float[] P = {0.9f, 0.004f, 0.0049f, 0.006f, 0.7f, 0.3f, 0.001f};

    static GammaModSchedule gmod(Double skip, float[] p) {
        return new GammaModSchedule(Set.of(1), (layer, context) -> Arrays.copyOf(p, context.rows()), skip,
                GammaModSchedule.PREFILL_THRESHOLD, GammaModSchedule.DECODE_THRESHOLD);
    }

    @Test
    void prefillProcessesTheTokensAboveTheThresholdTextIncludedWithPAsGate() {
        GammaModSchedule gmod = gmod(null, P);
        FakeScheduleContext c = FakeScheduleContext.prefill("SIIIIQQ");
        assertSame(LayerPlan.DENSE, gmod.plan(0, c), "layer 0 is not a MoD layer");

        LayerPlan plan = gmod.plan(1, c);
        // p > 0.005: rows 0, 3, 4, 5; the instruction row 6 (p = 0.001) is skipped too.
        assertArrayEquals(new int[]{0, 3, 4, 5}, plan.processedRows());
        assertArrayEquals(new float[]{0.9f, 0.006f, 0.7f, 0.3f}, plan.mlpGate());
        assertEquals(PositionRule.CACHE_INDEX, plan.positions(), "positions renumbered over the processed rows");
        assertNull(plan.skippedRowScale(), "skipped rows pass through unchanged");
        assertArrayEquals(P, plan.scores());
        assertNull(gmod.survivors(1, c), "γ-MoD drops nothing for good");
        assertEquals("gmod:layers=1", gmod.spec());
    }

    @Test
    void decodeSkipsATokenWithPBelowOneHalf() {
        LayerPlan kept = gmod(null, new float[]{0.5f}).plan(1, FakeScheduleContext.decode("R"));
        assertNull(kept.processedRows(), "p = 0.5 is processed: every row");
        assertArrayEquals(new float[]{0.5f}, kept.mlpGate());

        LayerPlan skipped = gmod(null, new float[]{0.49f}).plan(1, FakeScheduleContext.decode("R"));
        assertArrayEquals(new int[0], skipped.processedRows());
        assertArrayEquals(new float[0], skipped.mlpGate());
    }

    @Test
    void skipRatioDropsTheLowestOfTheSystemAndImagePrefixAndKeepsAllText() {
        GammaModSchedule gmod = gmod(0.5, P);
        // Prefix rows 0-4; floor(0.5 · 5) = 2 skipped: the lowest p, rows 1 (.004) and 2 (.0049).
        LayerPlan plan = gmod.plan(1, FakeScheduleContext.prefill("SIIIIQQ"));
        assertArrayEquals(new int[]{0, 3, 4, 5, 6}, plan.processedRows());
        assertArrayEquals(new float[]{0.9f, 0.006f, 0.7f, 0.3f, 0.001f}, plan.mlpGate());
        assertEquals("gmod:layers=1;skip=0.5", gmod.spec());
    }

    @Test
    void aSkipTieIsBrokenTowardsTheLowerRow() {
        float[] p = {0.2f, 0.1f, 0.1f, 0.1f, 0.9f};
        // Prefix rows 0-3; floor(0.5 · 4) = 2 skipped of the three at 0.1: rows 2 and 3 (row 1 wins the tie).
        LayerPlan plan = gmod(0.5, p).plan(1, FakeScheduleContext.prefill("SIIIQ"));
        assertArrayEquals(new int[]{0, 1, 4}, plan.processedRows());
    }
}
