package dev.mod4j.eval.score;

import dev.mod4j.loaders.InvalidInputException;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The benchmark scorers by name. */
public final class BenchmarkScorers {
    private static final Map<String, BenchmarkScorer> BY_NAME = new LinkedHashMap<>();

    static {
        for (BenchmarkScorer s : List.of(new PopeScorer(), new MmeScorer(), new GqaScorer(), new TextVqaScorer(),
                new VqaV2Scorer(), new ScienceQaScorer(), new MmbenchScorer(), new SeedBenchScorer())) {
            BY_NAME.put(s.name(), s);
        }
    }

    private BenchmarkScorers() {
    }

    public static List<String> names() {
        return List.copyOf(BY_NAME.keySet());
    }

    public static BenchmarkScorer of(String name) {
        BenchmarkScorer s = BY_NAME.get(name);
        if (s == null) {
            throw new InvalidInputException("--benchmark", "unknown benchmark '" + name + "'; known: "
                    + String.join(", ", BY_NAME.keySet()));
        }
        return s;
    }
}
