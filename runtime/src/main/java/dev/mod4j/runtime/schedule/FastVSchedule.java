package dev.mod4j.runtime.schedule;

import dev.mod4j.runtime.accounting.FastVPruning;

import java.util.Arrays;
import java.util.List;

/**
 * FastV (docs/methods.md §6): after layer K−1 (0-based), rank image tokens by the head-mean attention the last prompt
 * token paid them inside layer K−1, keep the top round(N_v·(1−R)), and drop the rest for all later layers.
 * Survivors keep their original rotary positions. Decoding attends to the pruned caches of layers ≥ K.
 */
public final class FastVSchedule implements TokenSchedule {
    private final int k;
    private final double prunedFraction;
    private final ScheduleSpec spec;
    private float[] scores;

    /**
     * @param k              prune after the K-th layer (1-based), i.e. from 0-based layer K on
     * @param prunedFraction R, the fraction of image tokens removed
     */
    public FastVSchedule(int k, double prunedFraction) {
        this(k, prunedFraction, ScheduleSpec.of("fastv").with("k", k).with("r", prunedFraction));
    }

    private FastVSchedule(int k, double prunedFraction, ScheduleSpec spec) {
        this.k = k;
        this.prunedFraction = prunedFraction;
        this.spec = spec;
    }

    @Override
    public String spec() {
        return spec.toString();
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
        return Rows.keepTopImages(context, scores,
                new FastVPruning(k, prunedFraction).keptImageTokens(Rows.image(context).length));
    }

    /** {@code fastv:k=K;r=R}. */
    public static final class Method implements ScheduleMethod {
        @Override
        public String name() {
            return "fastv";
        }

        @Override
        public String summary() {
            return "after layer K, keep the image tokens the last prompt token attended to most (FastV)";
        }

        @Override
        public List<ScheduleKey> keys() {
            return List.of(ScheduleKey.of("k", "prune after layer K (1-based)", "1..L-1", "2, or L-1 if smaller"),
                    ScheduleKey.of("r", "fraction of image tokens pruned", "[0, 1)", "0.5"));
        }

        @Override
        public TokenSchedule create(ScheduleArguments arguments) {
            int layers = arguments.layers();
            int k = arguments.intValue("k", Math.min(2, layers - 1), 1, layers - 1);
            double r = arguments.doubleValue("r", 0.5, 0, 0.999999, true);
            return new FastVSchedule(k, r, arguments.canonical());
        }
    }
}

