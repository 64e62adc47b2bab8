package dev.mod4j.runtime.compare;

import dev.mod4j.runtime.generate.GenerationResult;

import java.util.List;

/**
 * How long a schedule's run took over its timed repeats (each after the same untimed warm-up).
 *
 * @param prefillMillis          prefill wall time, ms
 * @param decodeTokensPerSecond  decode steps per second (tokens after the first)
 */
public record RunTimings(Spread prefillMillis, Spread decodeTokensPerSecond) {

    /** The timings of these repeats of one run. */
    public static RunTimings of(List<GenerationResult> repeats) {
        return new RunTimings(Spread.of(repeats.stream().mapToDouble(GenerationResult::prefillMillis).toArray()),
                Spread.of(repeats.stream().mapToDouble(GenerationResult::decodeTokensPerSecond).toArray()));
    }

    public int repeats() {
        return prefillMillis.count();
    }

    /** Decode time per token in ms (0 where nothing was decoded), median and range. */
    public Spread decodeMillisPerToken() {
        return decodeTokensPerSecond.mapDecreasing(tps -> tps > 0 ? 1000 / tps : 0);
    }
}
