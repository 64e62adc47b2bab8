package dev.mod4j.runtime.schedule;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

class FastVScheduleTest {
    // Rows 0-1 system, 2-7 image, 8-9 instruction. Image scores .10 .02 .09 .09 .01 .09: a tie at the cut.
    static final float[] SCORES = {0.30f, 0.05f, 0.10f, 0.02f, 0.09f, 0.09f, 0.01f, 0.09f, 0.15f, 0.10f};

    @Test
    void fastvK2KeepsHalfTheImageRowsByTheLastTokensAttentionInsideLayer1() {
        FastVSchedule fastv = new FastVSchedule(2, 0.5);
        FakeScheduleContext c = FakeScheduleContext.prefill("SSIIIIIIQQ").attention(1, SCORES);

        assertSame(LayerPlan.DENSE, fastv.plan(0, c));
        assertNull(fastv.survivors(0, c));

        LayerPlan layer1 = fastv.plan(1, c);
        assertNull(layer1.processedRows(), "layer K-1 itself runs on every row");
        assertNull(layer1.mlpGate());
        assertEquals(PositionRule.ORIGINAL, layer1.positions());
        assertArrayEquals(SCORES, layer1.scores());
        // The last prompt token (row 9) as query, layer 1's attention at original positions.
        assertEquals(List.of(new FakeScheduleContext.AttentionCall(9, 1, PositionRule.ORIGINAL)), c.attentionCalls);

        // round(6 · (1 − 0.5)) = 3 image rows: row 2 (.10), then of the three at .09 the two lowest, rows 4 and 5.
        assertArrayEquals(new int[]{0, 1, 2, 4, 5, 8, 9}, fastv.survivors(1, c));

        FakeScheduleContext after = FakeScheduleContext.prefill("SSIIIQQ");
        assertSame(LayerPlan.DENSE, fastv.plan(2, after));
        assertNull(fastv.survivors(2, after));
        assertEquals("fastv:k=2;r=0.5", fastv.spec());
    }

    @Test
    void decodeStepsRunEveryLayerDenselyAndDropNothing() {
        FastVSchedule fastv = new FastVSchedule(2, 0.5);
        fastv.plan(1, FakeScheduleContext.prefill("SSIIIIIIQQ").attention(1, SCORES));
        FakeScheduleContext step = FakeScheduleContext.decode("R");
        for (int layer = 0; layer < 4; layer++) {
            assertSame(LayerPlan.DENSE, fastv.plan(layer, step));
            assertNull(fastv.survivors(layer, step));
        }
        assertEquals(0, step.attentionCalls.size());
    }

    @Test
    void prunedFractionZeroKeepsEveryRow() {
        FastVSchedule fastv = new FastVSchedule(1, 0);
        FakeScheduleContext c = FakeScheduleContext.prefill("SSIIIIIIQQ").attention(0, SCORES);
        fastv.plan(0, c);
        assertNull(fastv.survivors(0, c));
        assertEquals("fastv:k=1;r=0.0", fastv.spec());
    }
}
