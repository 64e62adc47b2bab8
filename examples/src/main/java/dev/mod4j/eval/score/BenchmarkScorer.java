package dev.mod4j.eval.score;

import java.nio.file.Path;
import java.util.List;

/** Scores an answers file the way one benchmark's official evaluation script does. */
public interface BenchmarkScorer {
    /** The name {@code --benchmark} takes. */
    String name();

    /** What {@code --annotations} is for this benchmark (shown in errors and help). */
    String annotations();

    BenchmarkScore score(ScoringInput input);

    /**
     * Writes, for the answers of one answers file, the files the benchmark's own evaluation tool reads, converted as
     * LLaVA's scripts convert them (GQA's predictions JSON, MME's per-task results), into {@code folder}; returns
     * them. Most benchmarks' tools read LLaVA's answer JSONL itself: nothing to write.
     */
    default List<Path> writeToolInputs(ScoringInput input, Path folder) {
        return List.of();
    }
}
