package dev.mod4j.eval.score;

import java.util.Map;

/**
 * One benchmark's score of one answers file, as the benchmark's own scorer reports it.
 *
 * @param benchmark the scorer's name ({@code pope}, {@code mme}, ...)
 * @param metric    what {@link #value} is, e.g. {@code f1} or {@code perception}
 * @param value     the headline number, in the unit the papers print (percent, or MME's 0–2000 points)
 * @param scored    answers that went into it
 * @param expected  questions the benchmark has (the headline counts missing answers as its scorer does)
 * @param details   every other number the official script prints, by name (per split, per category, ...)
 */
public record BenchmarkScore(String benchmark, String metric, double value, int scored, int expected,
                             Map<String, Double> details) {
    public BenchmarkScore {
        details = Map.copyOf(details);
    }
}
