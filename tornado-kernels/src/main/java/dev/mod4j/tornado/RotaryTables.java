package dev.mod4j.tornado;

import dev.mod4j.runtime.backend.RotaryEmbedding;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

import java.util.Arrays;

/**
 * The device's rotary cos and sin tables [positions × headDim/2] for the positions a session can use, not for the
 * config's {@code max_position_embeddings} (2^24 positions of a 128-wide head would be 8 GiB): a session of
 * {@code capacity} tokens gives its rows positions below {@code capacity} under every position rule (original index,
 * cache index, renumbered), so the tables are rebuilt with the task graphs when a session needs more rows.
 *
 * <p>The values are read back through {@link RotaryEmbedding#rotate}: rotating a head whose first half is 1 and second
 * half 0 to position p yields exactly cos(p·θ_j) in the first half and sin(p·θ_j) in the second (1·c − 0·s = c,
 * 0·c + 1·s = s), so the device uses the CPU's very tables.
 */
record RotaryTables(FloatArray cos, FloatArray sin, int positions) {

    static RotaryTables of(RotaryEmbedding rope, int headDim, int capacity) {
        int half = headDim / 2;
        int positions = Math.max(1, Math.min(capacity, rope.maxPositions()));
        rope.reserve(positions);
        FloatArray cos = new FloatArray(positions * half);
        FloatArray sin = new FloatArray(positions * half);
        float[] unit = new float[headDim];
        for (int p = 0; p < positions; p++) {
            Arrays.fill(unit, 0, half, 1f);
            Arrays.fill(unit, half, headDim, 0f);
            rope.rotate(unit, 0, 1, p);
            for (int j = 0; j < half; j++) {
                cos.set(p * half + j, unit[j]);
                sin.set(p * half + j, unit[half + j]);
            }
        }
        return new RotaryTables(cos, sin, positions);
    }

    /** Refuses a position the tables do not hold, before a kernel would read past them. */
    void requireHolds(int position) {
        if (position < 0 || position >= positions) {
            throw new IllegalStateException("position " + position + " is outside the device rotary tables (0.."
                    + (positions - 1) + ") sized for this session");
        }
    }
}
