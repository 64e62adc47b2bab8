package dev.mod4j.runtime.schedule;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

class DenseScheduleTest {
    @Test
    void everyLayerProcessesEveryRowAtItsOriginalPosition() {
        DenseSchedule dense = new DenseSchedule();
        for (FakeScheduleContext c : new FakeScheduleContext[]{FakeScheduleContext.prefill("SIIIQQ"),
                FakeScheduleContext.decode("R")}) {
            for (int layer = 0; layer < 4; layer++) {
                assertSame(LayerPlan.DENSE, dense.plan(layer, c));
                assertNull(dense.survivors(layer, c));
            }
            assertEquals(0, c.attentionCalls.size() + c.rowScoresCalls.size(), "dense scores nothing");
        }
        assertEquals("dense", dense.spec());
    }
}
