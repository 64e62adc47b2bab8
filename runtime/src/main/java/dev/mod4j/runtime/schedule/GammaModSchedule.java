package dev.mod4j.runtime.schedule;

import dev.mod4j.runtime.prompt.TokenRole;

import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.IntStream;

/**
 * γ-MoD at inference (methods.md §3.5): in each MoD layer the shared router gives every token a processing
 * probability p. Prefill processes the tokens with p > 0.005 (a threshold, not top-k; any token may be skipped),
 * decode skips a token whose p < 0.5 (and then the layer's cache is not extended). Processed tokens attend only to
 * each other, with positions renumbered compactly per layer, and their MLP output is scaled by p. Skipped tokens pass
 * through unchanged.
 *
 * <p>With {@code skip = s} (for controlled comparisons), prefill instead skips the floor(s · P) lowest-p tokens of the
 * system + image prefix P and always processes the text after the image — the masked routing of training (§3.4).
 */
public final class GammaModSchedule implements TokenSchedule {
    /** Where p comes from; the router by default, a fixed value in invariance tests. */
    @FunctionalInterface
    public interface ProcessProbability {
        float[] of(int layer, ScheduleContext context);
    }

    public static final double PREFILL_THRESHOLD = 0.005;
    public static final double DECODE_THRESHOLD = 0.5;

    private final Set<Integer> modLayers;
    private final ProcessProbability probability;
    private final Double skipRatio;
    private final double prefillThreshold;
    private final double decodeThreshold;

    public GammaModSchedule(Set<Integer> modLayers, ProcessProbability probability, Double skipRatio,
                            double prefillThreshold, double decodeThreshold) {
        this.modLayers = new TreeSet<>(modLayers);
        this.probability = probability;
        this.skipRatio = skipRatio;
        this.prefillThreshold = prefillThreshold;
        this.decodeThreshold = decodeThreshold;
    }

    /** The probabilities of the checkpoint's shared router on each layer's {@code input_layernorm(x)}. */
    public static ProcessProbability router(GammaModRouter router) {
        return router::processProbabilities;
    }

    @Override
    public String spec() {
        StringBuilder sb = new StringBuilder("gmod:layers=").append(String.join(",",
                modLayers.stream().map(String::valueOf).toList()));
        if (skipRatio != null) {
            sb.append(";skip=").append(skipRatio);
        } else if (prefillThreshold != PREFILL_THRESHOLD) {
            sb.append(";threshold=").append(prefillThreshold);
        }
        return sb.toString();
    }

    @Override
    public LayerPlan plan(int layer, ScheduleContext context) {
        if (!modLayers.contains(layer)) {
            return LayerPlan.DENSE;
        }
        float[] p = probability.of(layer, context);
        int rows = context.rows();
        int[] processed;
        if (context.phase() == Phase.DECODE) {
            processed = IntStream.range(0, rows).filter(r -> p[r] >= decodeThreshold).toArray();
        } else if (skipRatio == null) {
            processed = IntStream.range(0, rows).filter(r -> p[r] > prefillThreshold).toArray();
        } else {
            processed = keepAllButLowestPrefix(context, p, skipRatio);
        }
        float[] gate = new float[processed.length];
        for (int i = 0; i < processed.length; i++) {
            gate[i] = p[processed[i]];
        }
        return new LayerPlan(processed.length == rows ? null : processed, gate, PositionRule.CACHE_INDEX, null, p);
    }

    private static int[] keepAllButLowestPrefix(ScheduleContext context, float[] p, double skip) {
        int[] prefix = IntStream.range(0, context.rows())
                .filter(r -> context.role(r) == TokenRole.SYSTEM || context.role(r) == TokenRole.IMAGE).toArray();
        int skipped = (int) Math.floor(skip * prefix.length);
        float[] prefixScores = new float[prefix.length];
        for (int i = 0; i < prefix.length; i++) {
            prefixScores[i] = p[prefix[i]];
        }
        int[] keptPrefix = TopK.select(prefix, prefixScores, prefix.length - skipped);
        boolean[] keep = new boolean[context.rows()];
        Arrays.fill(keep, true);
        for (int r : prefix) {
            keep[r] = false;
        }
        for (int r : keptPrefix) {
            keep[r] = true;
        }
        return IntStream.range(0, context.rows()).filter(r -> keep[r]).toArray();
    }
}
