package dev.mod4j.runtime.schedule;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

class DensityPeakClustersTest {
    /**
     * Five points on a line, two clusters, worked by hand: with k = 2 each density is exp(−d²/2) for d the distance
     * to the nearest other point: 0 and 0.1 → 0.995 (tied: the earlier counts as denser), 5 and 5.3 → 0.956, 10 →
     * 1.6e−5. δ: 10 (densest), 0.1, 4.9, 0.3, 4.7; ρ·δ: 9.95, 0.0995, 4.68, 0.287, 7.5e−5, so the centres are 0 and
     * 5, and 10 joins 5 (distance 5 against 10).
     */
    @Test
    void densityPeaksOnALineMakeTwoClustersAsWorkedByHand() {
        DensityPeakClusters.Clusters c = DensityPeakClusters.of(new float[]{0f, 0.1f, 5f, 5.3f, 10f}, 5, 1, 2);
        assertArrayEquals(new int[]{0, 2}, c.centres());
        assertArrayEquals(new int[]{0, 0, 1, 1, 1}, c.clusterOfRow());
        assertArrayEquals(new int[]{2, 3, 4}, c.members(1));
    }

    /** One cluster: k = 1 neighbour is the point itself, every density is 1, and the first row names the cluster. */
    @Test
    void oneClusterHoldsEveryRowNamedByTheFirst() {
        DensityPeakClusters.Clusters c = DensityPeakClusters.of(new float[]{3f, 1f, 2f, 0f, 9f, 9f}, 3, 2, 1);
        assertArrayEquals(new int[]{0}, c.centres());
        assertArrayEquals(new int[]{0, 0, 0}, c.clusterOfRow());
    }

    /** The distance is divided by √C: scaling it must not change decisions, and C = 2 copies of a line agree. */
    @Test
    void aSecondEqualCoordinateChangesNothing() {
        DensityPeakClusters.Clusters c = DensityPeakClusters.of(
                new float[]{0f, 0f, 0.1f, 0.1f, 5f, 5f, 5.3f, 5.3f, 10f, 10f}, 5, 2, 2);
        assertArrayEquals(new int[]{0, 2}, c.centres());
        assertArrayEquals(new int[]{0, 0, 1, 1, 1}, c.clusterOfRow());
    }
}
