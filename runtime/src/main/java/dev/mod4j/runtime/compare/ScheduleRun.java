package dev.mod4j.runtime.compare;

import dev.mod4j.runtime.accounting.FlopsConvention;
import dev.mod4j.runtime.accounting.FlopsReport;
import dev.mod4j.runtime.accounting.ForwardPass;
import dev.mod4j.runtime.accounting.LayerTokenCounts;
import dev.mod4j.runtime.accounting.ModelShape;
import dev.mod4j.runtime.accounting.TokensByRole;
import dev.mod4j.runtime.generate.GenerationResult;
import dev.mod4j.runtime.prompt.TokenRole;
import dev.mod4j.runtime.schedule.LayerRecord;
import dev.mod4j.runtime.schedule.RoutingTrace;

import java.util.List;

/**
 * One schedule's run on a request: what it generated, how long it took, what it kept and what it cost.
 *
 * @param prefillMacs      exact multiply-adds of the decoder layers in the prefill
 * @param totalMacs        the same over prefill and all decode steps
 * @param kvCacheEntries   KV entries held after generation, summed over layers
 * @param kvCacheBytes     bytes those entries occupy as stored
 * @param timings          prefill and decode times over the timed repeats ({@code generation} is the first of them)
 */
public record ScheduleRun(String spec, GenerationResult generation, RoutingTrace trace, long prefillMacs,
                          long totalMacs, long kvCacheEntries, long kvCacheBytes, RunTimings timings) {

    /** A run timed once: its timings are the generation's. */
    public ScheduleRun(String spec, GenerationResult generation, RoutingTrace trace, long prefillMacs, long totalMacs,
                       long kvCacheEntries, long kvCacheBytes) {
        this(spec, generation, trace, prefillMacs, totalMacs, kvCacheEntries, kvCacheBytes,
                RunTimings.of(List.of(generation)));
    }

    /** The same run with the timings of all its repeats. */
    public ScheduleRun withTimings(RunTimings timings) {
        return new ScheduleRun(spec, generation, trace, prefillMacs, totalMacs, kvCacheEntries, kvCacheBytes, timings);
    }

    /**
     * The run's forward passes as the accounting sees them (step 0 = prefill, then each decode step): per layer, the
     * tokens processed by role and the cache length after the pass.
     */
    public List<ForwardPass> passes() {
        java.util.Map<Integer, List<LayerRecord>> bySteps = new java.util.TreeMap<>();
        for (LayerRecord r : trace.records()) {
            bySteps.computeIfAbsent(r.step(), k -> new java.util.ArrayList<>()).add(r);
        }
        List<ForwardPass> passes = new java.util.ArrayList<>();
        for (List<LayerRecord> layers : bySteps.values()) {
            LayerRecord first = layers.getFirst();
            // Every token entering the pass is processed by, or at least enters, layer 0: its rows_in by role.
            TokensByRole input = first.phase() == dev.mod4j.runtime.schedule.Phase.PREFILL
                    ? roles(promptRoles(first)) : new TokensByRole(0, 0, 0, first.rowsIn());
            List<LayerTokenCounts> counts = layers.stream().map(r -> LayerTokenCounts.causal(r.layer(),
                    roles(r.processedByRole()), r.kvEntries(), r.rankingMacs())).toList();
            passes.add(new ForwardPass(input, counts, 1));
        }
        return passes;
    }

    private int[] promptRoles(LayerRecord layer0) {
        // The prompt before any reduction ahead of the decoder: the dense model would have run all of it.
        int[] entered = trace.promptByRole();
        if (entered != null) {
            return entered;
        }
        // Layer 0 sees the whole prompt; if it skipped some (γ-MoD), the prompt is still rows_in tokens, whose roles
        // are those of the layer that processed all (a dense layer) or, failing that, layer 0's processed counts.
        for (LayerRecord r : trace.prefill()) {
            if (r.processedCount() == r.rowsIn() && r.rowsIn() == layer0.rowsIn()) {
                return r.processedByRole();
            }
        }
        return layer0.processedByRole();
    }

    private static TokensByRole roles(int[] byRole) {
        return new TokensByRole(byRole[TokenRole.SYSTEM.ordinal()], byRole[TokenRole.IMAGE.ordinal()],
                byRole[TokenRole.INSTRUCTION.ordinal()], byRole[TokenRole.RESPONSE.ordinal()]);
    }

    /** Prefill compute under {@code convention}, with the dense model's for the same prompt. */
    public FlopsReport prefillFlops(FlopsConvention convention, ModelShape shape) {
        return FlopsReport.of(convention, shape, passes().getFirst());
    }

    /** Image tokens each layer processed in the prefill. */
    public int[] imageTokensPerLayer() {
        return trace.prefill().stream().mapToInt(r -> r.processed(TokenRole.IMAGE)).toArray();
    }

    /** Tokens each layer processed in the prefill, by role. */
    public List<LayerRecord> prefillLayers() {
        return trace.prefill();
    }

    /** Share of positions where this run's tokens equal {@code reference}'s, over the reference's length. */
    public double agreementWith(int[] reference) {
        int[] mine = generation.tokens();
        if (reference.length == 0) {
            return mine.length == 0 ? 1 : 0;
        }
        int same = 0;
        for (int i = 0; i < Math.min(reference.length, mine.length); i++) {
            same += reference[i] == mine[i] ? 1 : 0;
        }
        return same / (double) reference.length;
    }

    /** Index of the first token that differs from {@code reference}, or -1 if none does. */
    public int firstDivergence(int[] reference) {
        int[] mine = generation.tokens();
        int n = Math.min(reference.length, mine.length);
        for (int i = 0; i < n; i++) {
            if (reference[i] != mine[i]) {
                return i;
            }
        }
        return reference.length == mine.length ? -1 : n;
    }

    /** "64×2 32×2 16×2": run-length form of the per-layer image token counts. */
    public String imageTokensCompact() {
        int[] counts = imageTokensPerLayer();
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < counts.length; ) {
            int j = i;
            while (j + 1 < counts.length && counts[j + 1] == counts[i]) {
                j++;
            }
            sb.append(sb.isEmpty() ? "" : " ").append(counts[i]);
            if (j > i) {
                sb.append('×').append(j - i + 1);
            }
            i = j + 1;
        }
        return sb.toString();
    }
}
