package dev.mod4j.runtime.generate;

import java.util.Arrays;
import java.util.BitSet;
import java.util.SplittableRandom;

/**
 * Picks next tokens from logits according to {@link SamplingOptions}; one per generation (holds the random state and,
 * for the repetition penalty, the token ids seen so far: {@link #remember}).
 */
public final class Sampler {
    private final SamplingOptions options;
    private final SplittableRandom random;
    private final BitSet seen = new BitSet();
    private long[] order = new long[0];
    private float[] probabilities = new float[0];

    public Sampler(SamplingOptions options) {
        this.options = options;
        this.random = new SplittableRandom(options.seed());
    }

    /** A token of the context (prompt or generated): the repetition penalty applies to it from now on. */
    public void remember(int token) {
        if (token >= 0) {
            seen.set(token);
        }
    }

    /** The next token; {@code logits} may be changed (the repetition penalty is applied in place). */
    public int next(float[] logits) {
        penalize(logits);
        if (options.greedy()) {
            return argmax(logits);
        }
        int keep = keep(logits);
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

    /**
     * The distribution {@link #next} samples from (greedy: all mass on the argmax), for tests against transformers'
     * logits processors; {@code logits} are left as they are.
     */
    float[] distribution(float[] logits) {
        float[] scores = logits.clone();
        float[] p = new float[scores.length];
        if (options.greedy()) {
            penalize(scores);
            p[argmax(scores)] = 1;
            return p;
        }
        penalize(scores);
        int keep = keep(scores);
        double kept = 0;
        for (int i = 0; i < keep; i++) {
            kept += probabilities[(int) order[i]];
        }
        for (int i = 0; i < keep; i++) {
            p[(int) order[i]] = (float) (probabilities[(int) order[i]] / kept);
        }
        return p;
    }

    /** HF's RepetitionPenaltyLogitsProcessor: {@code score < 0 ? score * penalty : score / penalty}, once per id. */
    private void penalize(float[] logits) {
        float penalty = (float) options.repeatPenalty();
        if (penalty == 1) {
            return;
        }
        for (int id = seen.nextSetBit(0); id >= 0 && id < logits.length; id = seen.nextSetBit(id + 1)) {
            logits[id] = logits[id] < 0 ? logits[id] * penalty : logits[id] / penalty;
        }
    }

    /**
     * Softmax at the temperature into {@link #probabilities}, ids sorted most likely first into {@link #order};
     * returns how many of them top-k, top-p and min-p keep.
     */
    private int keep(float[] logits) {
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
        if (options.minP() > 0) {
            // MinPLogitsWarper: drop p < min_p · p_max (the ratio is the same before and after renormalising what
            // top-k/top-p kept); the most likely token always stays.
            double threshold = options.minP() * probabilities[(int) order[0]];
            int k = 1;
            while (k < keep && probabilities[(int) order[k]] >= threshold) {
                k++;
            }
            keep = k;
        }
        return keep;
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
