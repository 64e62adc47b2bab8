package dev.mod4j.runtime.schedule;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class RowsTest {
    @Test
    void keepTopKeepsTheNonCandidatesAndTheHighestCandidatesLowerRowFirstOnTies() {
        FakeScheduleContext c = FakeScheduleContext.prefill("SIIIIQ");
        assertArrayEquals(new int[]{1, 2, 3, 4}, Rows.image(c));
        float[] score = {0, 0.5f, 0.2f, 0.5f, 0.5f, 0};
        assertArrayEquals(new int[]{0, 1, 3, 5}, Rows.keepTop(c, Rows.image(c), score, 2));
        assertArrayEquals(new int[]{0, 1, 2, 3, 4, 5}, Rows.keepTop(c, Rows.image(c), score, 4));
        assertArrayEquals(new int[]{0, 5}, Rows.keepTop(c, Rows.image(c), score, 0));
        assertArrayEquals(new int[]{0, 1, 3, 4, 5}, Rows.keepTopImages(c, score, 3));
        assertNull(Rows.keepTopImages(c, score, 4), "keeping every image row changes nothing");
        assertNull(Rows.keepTopImages(FakeScheduleContext.prefill("SQ"), new float[2], 0), "no image rows");
    }
}
