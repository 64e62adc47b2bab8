package dev.mod4j.runtime.generate;

import dev.mod4j.loaders.InvalidInputException;

/**
 * How the next token is chosen. Temperature 0 means greedy (argmax, lowest id on ties); otherwise logits are divided
 * by the temperature, cut to the {@code topK} most likely (0: no cut) and to the smallest set whose probability
 * reaches {@code topP} (1: no cut), and sampled with a generator seeded by {@code seed}.
 */
public record SamplingOptions(double temperature, int topK, double topP, long seed) {
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
    }

    public boolean greedy() {
        return temperature == 0;
    }
}
