package dev.mod4j.runtime.schedule;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

class DartScheduleTest {
    // Rows: 0 system, 1-6 image, 7-8 instruction. Pivots (1 image, 1 text): row 3 (key norm 5) and row 8 (2).
    static final float[] KEY_NORMS = {9, 1, 1, 5, 1, 1, 1, 1, 2};
    static final float[][] VECTORS = {
            {1, 1}, {-1, 0}, {-1, -1}, {0, 1}, {0, -1}, {1, 0.2f}, {-0.2f, 1}, {1, 1}, {1, 0}};

    @Test
    void eachPivotInPythonSetOrderKeepsTheImageRowsLeastSimilarToIt() {
        DartSchedule dart = new DartSchedule(2, 4, 1, 1);
        FakeScheduleContext c = FakeScheduleContext.prefill("SIIIIIIQQ").keyNorms(KEY_NORMS).vectors(VECTORS);
        assertSame(LayerPlan.DENSE, dart.plan(0, c));
        assertNull(dart.survivors(0, c));
        // list(set([3, 8])) is [8, 3] (8 hashes to slot 0 of 8). Pivot 8 = (1,0) takes the two rows with the lowest
        // cosine, 1 (−1) and 2 (−0.71); pivot 3 = (0,1) then takes 4 (−1) and 5 (0.20) of {4, 5, 6}: row 6 goes.
        // In ascending order pivot 3 would take 4 and 2 first, and row 5 would go instead.
        assertArrayEquals(new int[]{0, 1, 2, 3, 4, 5, 7, 8}, dart.survivors(1, c));
        assertEquals(List.of(1), c.keyNormLayers, "the keys of layer K-1");
        assertArrayEquals(KEY_NORMS, c.traced);
        assertEquals("dart:layer=2;keep=4;pivots=1,1", dart.spec());
    }

    @Test
    void decodeAndOtherLayersKeepEveryRowAtOriginalPositions() {
        DartSchedule dart = new DartSchedule(2, 4, 1, 1);
        FakeScheduleContext step = FakeScheduleContext.decode("R");
        for (int layer = 0; layer < 4; layer++) {
            assertEquals(PositionRule.ORIGINAL, dart.plan(layer, step).positions());
            assertNull(dart.survivors(layer, step));
        }
        assertNull(dart.survivors(1, FakeScheduleContext.prefill("SQQ")), "no image, nothing to prune");
    }

    @Test
    void aBudgetCoveringEveryImageRowDropsNothing() {
        DartSchedule dart = new DartSchedule(2, 10, 1, 1);
        FakeScheduleContext c = FakeScheduleContext.prefill("SIIIIIIQQ").keyNorms(KEY_NORMS).vectors(VECTORS);
        assertNull(dart.survivors(1, c));
    }
}
