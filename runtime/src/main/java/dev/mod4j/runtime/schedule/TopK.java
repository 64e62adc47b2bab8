package dev.mod4j.runtime.schedule;

import java.util.Arrays;

/** Top-k selection used by the methods: indices of the k highest scores, returned in ascending index order. */
final class TopK {
    private TopK() {
    }

    /**
     * The k candidates with the highest scores (ties: the lower index wins, so results are reproducible), sorted by
     * index, as the methods do after torch.topk ({@code sort(topk(score, k).indices)}).
     */
    static int[] select(int[] candidates, float[] scoreOfCandidate, int k) {
        int n = candidates.length;
        if (k >= n) {
            return candidates.clone();
        }
        long[] keys = new long[n];
        for (int i = 0; i < n; i++) {
            // Highest score first: order by the score's total-order bits descending, then by position ascending.
            int bits = Float.floatToIntBits(scoreOfCandidate[i]);
            int sortable = bits >= 0 ? bits : bits ^ 0x7FFFFFFF;
            keys[i] = ((long) ~sortable << 32) | (i & 0xFFFFFFFFL);
        }
        Arrays.sort(keys);
        int[] chosen = new int[k];
        for (int i = 0; i < k; i++) {
            chosen[i] = candidates[(int) keys[i]];
        }
        Arrays.sort(chosen);
        return chosen;
    }
}
