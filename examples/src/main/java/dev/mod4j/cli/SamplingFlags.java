package dev.mod4j.cli;

import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.runtime.generate.SamplingOptions;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/** The flags that choose how tokens are picked and where an answer ends ({@code generate}, {@code chat}). */
final class SamplingFlags {
    @Option(names = "--temperature", paramLabel = "T", defaultValue = "0",
            description = "0 = greedy (default); > 0 samples.")
    double temperature;

    @Option(names = "--top-k", paramLabel = "K", defaultValue = "0", description = "Keep the K most likely tokens (0: all).")
    int topK;

    @Option(names = "--top-p", paramLabel = "P", defaultValue = "1.0", description = "Nucleus sampling mass (1: off).")
    double topP;

    @Option(names = "--min-p", paramLabel = "P", defaultValue = "0",
            description = "Keep tokens at least P times as likely as the most likely one (transformers' min_p; 0: off).")
    double minP;

    @Option(names = "--repeat-penalty", paramLabel = "X", defaultValue = "1.0",
            description = "Divide the logit of every token already in the context (prompt and answer) by X, multiply"
                    + " it when negative: transformers' repetition_penalty (all of the context, each token once; not"
                    + " llama.cpp's last-64-tokens window). 1: off; also applies with greedy decoding.")
    double repeatPenalty;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Random seed for sampling.")
    long seed;

    @Option(names = "--greedy", description = "Greedy decoding (the same as --temperature 0).")
    boolean greedy;

    @Option(names = "--stop", paramLabel = "STRING",
            description = "End the answer before this text, which is not printed (repeatable).")
    List<String> stop = new ArrayList<>();

    SamplingOptions options() {
        if (stop.stream().anyMatch(String::isEmpty)) {
            throw new InvalidInputException("--stop", "must not be empty (it would end every answer before it began)");
        }
        return greedy ? new SamplingOptions(0, 0, 1, 0, 0, repeatPenalty)
                : new SamplingOptions(temperature, topK, topP, seed, minP, repeatPenalty);
    }
}
