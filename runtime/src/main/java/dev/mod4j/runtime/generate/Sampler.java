package dev.mod4j.runtime.generate;

import java.util.Arrays;
import java.util.SplittableRandom;

/** Picks next tokens from logits according to {@link SamplingOptions}; one per generation (holds the random state). */
public final class Sampler {
    private final SamplingOptions options;
    private final SplittableRandom random;
    private long[] order = new long[0];
    private float[] probabilities = new float[0];

    public Sampler(SamplingOptions options) {
        this.options = options;
        this.random = new SplittableRandom(options.seed());
    }

    public int next(float[] logits) {
        if (options.greedy()) {
            return argmax(logits);
        }
        int n = logits.length;
        if (probabilities.length != n) {
            probabilities = new float[n];
            order = new long[n];
        }
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double p = Math.exp((logits[i] - max) / options.temperature());
            probabilities[i] = (float) p;
            sum += p;
        }
        for (int i = 0; i < n; i++) {
            probabilities[i] /= (float) sum;
            // Sort key: most likely first (bits of a non-negative float order like the float), then lowest id.
            order[i] = ((long) ~Float.floatToRawIntBits(probabilities[i]) << 32) | i;
        }
        Arrays.sort(order);
        int keep = options.topK() > 0 ? Math.min(options.topK(), n) : n;
        double cumulative = 0;
        for (int i = 0; i < keep; i++) {
            cumulative += probabilities[(int) order[i]];
            if (cumulative >= options.topP()) {
                keep = i + 1;
                break;
            }
        }
        double kept = 0;
        for (int i = 0; i < keep; i++) {
            kept += probabilities[(int) order[i]];
        }
        double u = random.nextDouble() * kept;
        for (int i = 0; i < keep; i++) {
            u -= probabilities[(int) order[i]];
            if (u < 0) {
                return (int) order[i];
            }
        }
        return (int) order[keep - 1];
    }

    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }
}
