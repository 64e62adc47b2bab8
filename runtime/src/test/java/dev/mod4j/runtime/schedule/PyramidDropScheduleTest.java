package dev.mod4j.runtime.schedule;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

class PyramidDropScheduleTest {
    @Test
    void eachListedLayerKeepsItsShareOfTheOriginalImageRowsRankedWithTheNextLayer() {
        PyramidDropSchedule pdrop = new PyramidDropSchedule(new int[]{1, 2}, new double[]{0.5, 0.25});

        // Prefill: 1 system row, 8 image rows (1-8), the last instruction token (9).
        float[] stage1 = {0.50f, 0.10f, 0.20f, 0.30f, 0.40f, 0.05f, 0.06f, 0.07f, 0.08f, 0.90f};
        FakeScheduleContext first = FakeScheduleContext.prefill("SIIIIIIIIQ").attention(1, stage1);
        assertSame(LayerPlan.ALL_CACHE_INDEX, pdrop.plan(0, first), "positions renumbered over what is left");
        // After 1-based layer 1: int(8 · 0.5) = 4 image rows, the highest by the next layer's (layer 1) attention.
        assertArrayEquals(new int[]{0, 1, 2, 3, 4, 9}, pdrop.survivors(0, first));
        assertEquals(List.of(new FakeScheduleContext.AttentionCall(9, 1, PositionRule.CACHE_INDEX)),
                first.attentionCalls);
        assertArrayEquals(stage1, first.traced, "the ranking scores go into the trace");

        // The 6 rows left, renumbered: image rows 1-4. After 1-based layer 2: int(8 · 0.25) = 2 of the ORIGINAL 8.
        float[] stage2 = {0.20f, 0.30f, 0.10f, 0.40f, 0.20f, 0.60f};
        FakeScheduleContext second = FakeScheduleContext.prefill("SIIIIQ").attention(2, stage2);
        assertSame(LayerPlan.ALL_CACHE_INDEX, pdrop.plan(1, second));
        assertArrayEquals(new int[]{0, 1, 3, 5}, pdrop.survivors(1, second));

        FakeScheduleContext third = FakeScheduleContext.prefill("SIIQ");
        assertNull(pdrop.survivors(2, third), "layer 3 (1-based) is not listed");
        assertEquals(0, third.attentionCalls.size());

        FakeScheduleContext step = FakeScheduleContext.decode("R");
        for (int layer = 0; layer < 4; layer++) {
            assertSame(LayerPlan.ALL_CACHE_INDEX, pdrop.plan(layer, step));
            assertNull(pdrop.survivors(layer, step));
        }
        assertEquals("pdrop:layers=1,2;ratios=0.5,0.25", pdrop.spec());
    }

    @Test
    void ratioOneDropsNothing() {
        PyramidDropSchedule pdrop = new PyramidDropSchedule(new int[]{1}, new double[]{1});
        FakeScheduleContext c = FakeScheduleContext.prefill("SIIQ").attention(1, 0.1f, 0.2f, 0.3f, 0.4f);
        pdrop.plan(0, c);
        assertNull(pdrop.survivors(0, c));
        assertEquals("pdrop:layers=1;ratios=1.0", pdrop.spec());
    }
}
