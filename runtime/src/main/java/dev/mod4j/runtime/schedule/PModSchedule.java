package dev.mod4j.runtime.schedule;

import dev.mod4j.runtime.prompt.TokenRole;

import java.util.Arrays;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * p-MoD (methods.md §4): in each MoD layer only vision tokens are routed. The layer's own router scores each image
 * token on the raw residual stream; TanhNorm turns the logit r into a weight {@code w = α·tanh(r) + β}
 * (α = 0.2, β = 1); the top trunc(N_v · R_l) image tokens by w are processed together with all text, keeping their
 * original positions; STRing scales a kept image token's MLP output by w and a skipped image token's whole state by w.
 * R_l follows the progressive ratio decay. Decode steps (text only) run every layer densely.
 */
public final class PModSchedule implements TokenSchedule {
    private final PModRouters routers;
    private final Map<Integer, Double> retention;
    private final double alpha;
    private final double beta;
    private final String spec;

    /**
     * @param retention MoD layer → fraction of image tokens it processes (layers absent here are dense)
     * @param spec      the spec string this schedule was made from
     */
    public PModSchedule(PModRouters routers, Map<Integer, Double> retention, double alpha, double beta, String spec) {
        this.routers = routers;
        this.retention = Map.copyOf(retention);
        this.alpha = alpha;
        this.beta = beta;
        this.spec = spec;
    }

    @Override
    public String spec() {
        return spec;
    }

    @Override
    public LayerPlan plan(int layer, ScheduleContext context) {
        Double ratio = retention.get(layer);
        if (ratio == null || context.phase() != Phase.PREFILL || !routers.weights().containsKey(layer)) {
            return LayerPlan.DENSE;
        }
        int rows = context.rows();
        int[] images = IntStream.range(0, rows).filter(r -> context.role(r) == TokenRole.IMAGE).toArray();
        if (images.length == 0) {
            return LayerPlan.DENSE;
        }
        float[] weightOfRow = new float[rows];
        Arrays.fill(weightOfRow, 1f);
        float[] imageWeights = new float[images.length];
        float[] logits = routers.logits(layer, images, context);
        for (int i = 0; i < images.length; i++) {
            float r = logits[i];
            imageWeights[i] = (float) (alpha * Math.tanh(r) + beta);
            weightOfRow[images[i]] = imageWeights[i];
        }
        int keep = (int) (images.length * ratio);
        int[] keptImages = TopK.select(images, imageWeights, keep);
        boolean[] processed = new boolean[rows];
        for (int r = 0; r < rows; r++) {
            processed[r] = context.role(r) != TokenRole.IMAGE;
        }
        for (int r : keptImages) {
            processed[r] = true;
        }
        int[] processedRows = IntStream.range(0, rows).filter(r -> processed[r]).toArray();
        float[] gate = new float[processedRows.length];
        for (int i = 0; i < processedRows.length; i++) {
            gate[i] = weightOfRow[processedRows[i]];
        }
        float[] skippedScale = new float[rows];
        for (int r = 0; r < rows; r++) {
            skippedScale[r] = processed[r] ? 1f : weightOfRow[r];
        }
        return new LayerPlan(processedRows.length == rows ? null : processedRows, gate, PositionRule.ORIGINAL,
                skippedScale, weightOfRow);
    }
}
