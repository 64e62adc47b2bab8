package dev.mod4j.eval;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mod4j.eval.score.BenchmarkScore;

import java.nio.file.Path;
import java.util.Map;

/**
 * One row of a run's results table: a benchmark under one schedule, scored, with what the schedule cost, averaged
 * over the answers that recorded it.
 *
 * @param benchmark          the scorer's name, or {@code accuracy} for the inline ground truth of the questions
 * @param metric             what {@code score} is ({@code f1}, {@code perception}, {@code accuracy}, ...)
 * @param score              the benchmark's headline number (NaN when nothing could be scored)
 * @param meanPrefillMillis  mean prefill time of the answers
 * @param flopsRatio         mean prefill FLOPs relative to the dense model on the same prompt (exact multiply-adds)
 * @param meanKvCacheBytes   mean KV-cache bytes after the answer
 * @param details            the scorer's other numbers
 */
public record EvalResult(String benchmark, String schedule, String metric, double score, int answered, int questions,
                         double meanPrefillMillis, double flopsRatio, double meanKvCacheBytes, Path answers,
                         Map<String, Double> details) {

    public EvalResult {
        details = Map.copyOf(details);
    }

    /** The row of {@code score} for the answers in {@code lines} (question key → answer line). */
    static EvalResult of(String schedule, Path answers, BenchmarkScore score, Map<String, JsonNode> lines,
                         int questions) {
        double prefill = 0;
        double flops = 0;
        double kv = 0;
        int withFlops = 0;
        int n = 0;
        // An answer is indexed under its id and under id + prompt (AnswerFile): count each line once.
        java.util.Set<JsonNode> distinct = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        distinct.addAll(lines.values());
        for (JsonNode line : distinct) {
            JsonNode m = line.path("metadata");
            n++;
            prefill += m.path("prefill_ms").asDouble(Double.NaN);
            kv += m.path("kv_cache_bytes").asDouble(Double.NaN);
            if (m.has("prefill_flops_ratio")) {
                flops += m.get("prefill_flops_ratio").asDouble();
                withFlops++;
            }
        }
        return new EvalResult(score.benchmark(), schedule, score.metric(), score.value(), score.scored(), questions,
                n == 0 ? Double.NaN : prefill / n, withFlops == 0 ? Double.NaN : flops / withFlops,
                n == 0 ? Double.NaN : kv / n, answers, score.details());
    }
}
