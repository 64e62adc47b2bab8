package dev.mod4j.eval.score;

/** Scores an answers file the way one benchmark's official evaluation script does. */
public interface BenchmarkScorer {
    /** The name {@code --benchmark} takes. */
    String name();

    /** What {@code --annotations} is for this benchmark (shown in errors and help). */
    String annotations();

    BenchmarkScore score(ScoringInput input);
}
