package dev.mod4j.loaders;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Compares float vectors (logits, hidden states) elementwise, reporting the worst element. */
public final class FloatAssertions {
    private FloatAssertions() {
    }

    /** Fails unless both arrays have the same length and every |expected − actual| is at most {@code tolerance}. */
    public static void assertClose(float[] expected, float[] actual, float tolerance, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        float worst = 0;
        int at = -1;
        for (int i = 0; i < expected.length; i++) {
            float diff = Math.abs(expected[i] - actual[i]);
            // "!(diff <= worst)" also catches NaN, which then stays the worst.
            if (!(diff <= worst)) {
                worst = diff;
                at = i;
            }
        }
        if (!(worst <= tolerance)) {
            throw new AssertionError(what + ": max |diff| " + worst + " at " + at + " (expected " + expected[at]
                    + ", got " + actual[at] + ") exceeds " + tolerance);
        }
    }
}
