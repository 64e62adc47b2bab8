package dev.mod4j.api;

import dev.mod4j.runtime.compare.ScheduleRun;
import dev.mod4j.runtime.schedule.RoutingTrace;

/**
 * What {@link Request#ask} returns: the answer's text and the run behind it (tokens, timings, routing trace, MACs,
 * KV-cache size).
 */
public record Answer(String question, String text, ScheduleRun run) {

    /** The schedule's spec, e.g. {@code pdrop:layers=2,4,6;ratios=0.5,0.25,0.125}. */
    public String schedule() {
        return run.spec();
    }

    public int[] tokens() {
        return run.generation().tokens();
    }

    /** Which tokens every layer processed, in the prefill and each decode step. */
    public RoutingTrace trace() {
        return run.trace();
    }

    /** Image tokens each decoder layer processed in the prefill. */
    public int[] imageTokensPerLayer() {
        return run.imageTokensPerLayer();
    }

    /** Exact multiply-adds of the decoder layers in the prefill. */
    public long prefillMacs() {
        return run.prefillMacs();
    }

    public long kvCacheBytes() {
        return run.kvCacheBytes();
    }

    public double prefillMillis() {
        return run.generation().prefillMillis();
    }

    @Override
    public String toString() {
        return schedule() + ": " + text;
    }
}
