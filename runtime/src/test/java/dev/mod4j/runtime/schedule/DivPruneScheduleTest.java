package dev.mod4j.runtime.schedule;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

class DivPruneScheduleTest {
    // Rows: 0 system, 1-4 image, 5 instruction.
    static final float[][] VECTORS = {{1, 1}, {1, 0}, {0.9f, 0.1f}, {0, 1}, {-1, 0}, {1, 1}};

    @Test
    void keepsTheFarthestRowThenTheRowFarthestFromTheKeptOnes() {
        // Distances 1 − cos: d(1,2) = .006, d(1,3) = 1, d(1,4) = 2, d(2,3) = .890, d(2,4) = 1.994, d(3,4) = 1.
        // Second-smallest per column: .006, .006, .890, 1 -> row 4 first; then d(4, ·) = 2, 1.994, 1, 0 -> row 1.
        DivPruneSchedule divprune = DivPruneSchedule.keeping(2);
        FakeScheduleContext c = FakeScheduleContext.prefill("SIIIIQ").vectors(VECTORS);
        assertArrayEquals(new int[]{0, 1, 4, 5}, divprune.beforeDecoder(c));
        assertSame(LayerPlan.ALL_CACHE_INDEX, divprune.plan(0, c), "compact positions, as HF numbers the pruned mask");
        assertNull(divprune.survivors(0, c));
        assertEquals("divprune:keep=2", divprune.spec());
    }

    @Test
    void theRatioIsRoundedHalfToEvenAsPythonRounds() {
        FakeScheduleContext c = FakeScheduleContext.prefill("SIIIIQ").vectors(VECTORS);
        // round(0.625 · 4) = round(2.5) = 2; round(0.875 · 4) = round(3.5) = 4, every row.
        assertArrayEquals(new int[]{0, 1, 4, 5}, DivPruneSchedule.ofRatio(0.625).beforeDecoder(c));
        assertNull(DivPruneSchedule.ofRatio(0.875).beforeDecoder(c));
        assertNull(DivPruneSchedule.keeping(2).beforeDecoder(FakeScheduleContext.prefill("SQ")));
    }
}
