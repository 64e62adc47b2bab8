package dev.mod4j.runtime.generate;

/**
 * What a generation produced and how long it took.
 *
 * @param stoppedOnEos true when an end-of-sequence token ended it (the eos id is not in {@code tokens})
 */
public record GenerationResult(int[] promptTokens, int[] tokens, boolean stoppedOnEos, long prefillNanos,
                               long decodeNanos) {

    public double prefillMillis() {
        return prefillNanos / 1e6;
    }

    /** Decode steps per second (tokens after the first, which prefill produced). */
    public double decodeTokensPerSecond() {
        int steps = Math.max(0, tokens.length - 1 + (stoppedOnEos ? 1 : 0));
        return decodeNanos == 0 ? 0 : steps / (decodeNanos / 1e9);
    }
}
