package dev.mod4j.runtime.compare;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SpreadTest {
    @Test
    void medianOfAnOddCountIsTheMiddleSampleAndTheRangeIsMinToMax() {
        assertEquals(new Spread(12.0, 9.5, 40.0, 3), Spread.of(40.0, 9.5, 12.0));
    }

    @Test
    void medianOfAnEvenCountIsTheMeanOfTheMiddleTwo() {
        assertEquals(new Spread(5.0, 1.0, 9.0, 4), Spread.of(9.0, 4.0, 1.0, 6.0));
    }

    @Test
    void oneSampleFormatsAsItsValueAndSeveralWithTheRangeInOneField() {
        assertEquals("12.3", Spread.single(12.34).format("%.1f"));
        String cell = Spread.of(13.0, 12.34, 11.9).format("%.1f");
        assertEquals("12.3\u00a0(11.9–13.0)", cell);
        assertEquals(1, cell.split("\\s+").length, "a table splits on whitespace: one field per cell");
    }

    @Test
    void tokensPerSecondBecomeMillisecondsPerTokenWithTheRangeTurnedAround() {
        Spread tps = Spread.of(100, 200, 400);
        assertEquals(new Spread(5, 2.5, 10, 3), tps.mapDecreasing(v -> 1000 / v));
    }

    @Test
    void noSamplesIsAnError() {
        assertThrows(IllegalArgumentException.class, Spread::of);
    }
}
