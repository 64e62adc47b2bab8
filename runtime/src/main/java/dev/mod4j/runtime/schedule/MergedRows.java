package dev.mod4j.runtime.schedule;

import dev.mod4j.runtime.prompt.TokenRole;

/**
 * New rows a schedule adds to the residual stream after a layer ran (SparseVLM's recycled tokens): row c is
 * {@code Σ_j weights[c][j] · x[members[c][j]]} over the current rows as that layer left them. They enter after the
 * survivors, before survivor {@code insertAt} (an index into the survivor list), and run in every later layer like
 * any row.
 *
 * @param members        per new row, the current rows it combines
 * @param weights        per new row, one weight per member
 * @param insertAt       where the new rows go among the survivors (0 .. survivors)
 * @param role           the new rows' role
 * @param sequenceIndex  per new row, the token it stands for in traces and reports (e.g. its cluster's centre)
 */
public record MergedRows(int[][] members, float[][] weights, int insertAt, TokenRole role, int[] sequenceIndex) {

    public int count() {
        return members.length;
    }
}
