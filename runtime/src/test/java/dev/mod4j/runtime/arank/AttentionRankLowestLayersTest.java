package dev.mod4j.runtime.arank;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** mod4j's MoD-layer proposal from ARank values: round(F · L) lowest, ties to the lower index, ascending. */
class AttentionRankLowestLayersTest {
    @Test
    void takesTheRoundedShareOfLowestLayersTiesToTheLowerIndex() {
        double[] arank = {9.5, 4.0, 7.25, 4.0, 12.0};
        assertArrayEquals(new int[] {1, 3}, AttentionRank.lowestLayers(arank, 0.4));
        assertArrayEquals(new int[] {1}, AttentionRank.lowestLayers(arank, 0.2));      // tie 1 vs 3: the lower
        assertArrayEquals(new int[] {1, 2, 3}, AttentionRank.lowestLayers(arank, 0.5)); // 2.5 rounds up to 3
        assertArrayEquals(new int[] {}, AttentionRank.lowestLayers(arank, 0));
        assertArrayEquals(new int[] {0, 1, 2, 3, 4}, AttentionRank.lowestLayers(arank, 1));
    }
}
