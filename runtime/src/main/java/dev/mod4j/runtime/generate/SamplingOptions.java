package dev.mod4j.runtime.generate;

import dev.mod4j.loaders.InvalidInputException;

/**
 * How the next token is chosen, in the order of transformers' {@code GenerationMixin._get_logits_processor}
 * (transformers 4.57, generation/utils.py): the repetition penalty first, then temperature, top-k, top-p and min-p.
 * Temperature 0 means greedy (argmax, lowest id on ties, after the penalty); otherwise logits are divided by the
 * temperature, cut to the {@code topK} most likely (0: no cut), to the smallest set whose probability reaches
 * {@code topP} (1: no cut) and to those at least {@code minP} times as likely as the most likely one (0: no cut), and
 * sampled with a generator seeded by {@code seed}.
 *
 * @param minP          min-p sampling, HF's {@code MinPLogitsWarper}: in [0, 1], 0 disables it
 * @param repeatPenalty HF's {@code RepetitionPenaltyLogitsProcessor} (CTRL's penalty): every token id already in the
 *                      context (prompt and generated) has its logit divided by it (multiplied when negative); 1
 *                      disables it
 */
public record SamplingOptions(double temperature, int topK, double topP, long seed, double minP, double repeatPenalty) {
    public static final SamplingOptions GREEDY = new SamplingOptions(0, 0, 1, 0);

    public SamplingOptions {
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new InvalidInputException("temperature", "must be a finite number >= 0, got " + temperature);
        }
        if (topK < 0) {
            throw new InvalidInputException("top-k", "must be >= 0 (0 disables it), got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new InvalidInputException("top-p", "must be in (0, 1], got " + topP);
        }
        if (!(minP >= 0 && minP <= 1)) {
            throw new InvalidInputException("min-p", "must be in [0, 1] (0 disables it), got " + minP);
        }
        if (!(repeatPenalty > 0) || Double.isInfinite(repeatPenalty)) {
            throw new InvalidInputException("repeat-penalty", "must be a finite number > 0 (1 disables it), got "
                    + repeatPenalty);
        }
    }

    /** Without min-p and repetition penalty. */
    public SamplingOptions(double temperature, int topK, double topP, long seed) {
        this(temperature, topK, topP, seed, 0, 1);
    }

    public boolean greedy() {
        return temperature == 0;
    }
}
