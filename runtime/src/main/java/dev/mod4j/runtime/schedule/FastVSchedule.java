package dev.mod4j.runtime.schedule;

import dev.mod4j.runtime.accounting.FastVPruning;
import dev.mod4j.runtime.prompt.TokenRole;

import java.util.Arrays;

/**
 * FastV (methods.md §6): after layer K−1 (0-based), rank image tokens by the head-mean attention the last prompt
 * token paid them inside layer K−1, keep the top round(N_v·(1−R)), and drop the rest for all later layers.
 * Survivors keep their original rotary positions. Decoding attends to the pruned caches of layers ≥ K.
 */
public final class FastVSchedule implements TokenSchedule {
    private final int k;
    private final double prunedFraction;
    private float[] scores;

    /**
     * @param k              prune after the K-th layer (1-based), i.e. from 0-based layer K on
     * @param prunedFraction R, the fraction of image tokens removed
     */
    public FastVSchedule(int k, double prunedFraction) {
        this.k = k;
        this.prunedFraction = prunedFraction;
    }

    @Override
    public String spec() {
        return "fastv:k=" + k + ";r=" + prunedFraction;
    }


    @Override
    public LayerPlan plan(int layer, ScheduleContext context) {
        if (context.phase() == Phase.PREFILL && layer == k - 1) {
            // Layer K−1's own attention of the last token, on the layer's input (what output_attentions returns).
            scores = context.attentionFrom(context.rows() - 1, layer, PositionRule.ORIGINAL);
            return new LayerPlan(null, null, PositionRule.ORIGINAL, null, Arrays.copyOf(scores, context.rows()));
        }
        return LayerPlan.DENSE;
    }

    @Override
    public int[] survivors(int layer, ScheduleContext context) {
        if (context.phase() != Phase.PREFILL || layer != k - 1 || scores == null) {
            return null;
        }
        return keepTopImageRows(context, scores,
                new FastVPruning(k, prunedFraction).keptImageTokens(imageRows(context).length));
    }

    static int[] imageRows(ScheduleContext context) {
        return java.util.stream.IntStream.range(0, context.rows())
                .filter(r -> context.role(r) == TokenRole.IMAGE).toArray();
    }

    /** All non-image rows plus the {@code keep} image rows with the highest scores, ascending. */
    static int[] keepTopImageRows(ScheduleContext context, float[] scoreOfRow, int keep) {
        int[] images = imageRows(context);
        if (images.length == 0 || keep >= images.length) {
            return null;
        }
        float[] imageScores = new float[images.length];
        for (int i = 0; i < images.length; i++) {
            imageScores[i] = scoreOfRow[images[i]];
        }
        int[] keptImages = TopK.select(images, imageScores, keep);
        int[] survivors = new int[context.rows() - images.length + keptImages.length];
        int n = 0;
        int next = 0;
        for (int r = 0; r < context.rows(); r++) {
            if (context.role(r) != TokenRole.IMAGE) {
                survivors[n++] = r;
            } else if (next < keptImages.length && keptImages[next] == r) {
                survivors[n++] = r;
                next++;
            }
        }
        return survivors;
    }
}
