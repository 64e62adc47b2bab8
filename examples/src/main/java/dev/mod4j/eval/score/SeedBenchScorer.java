package dev.mod4j.eval.score;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mod4j.loaders.InvalidInputException;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * SEED-Bench as LLaVA's {@code scripts/convert_seed_for_submission.py} (haotian-liu/LLaVA@c121f04) scores it over
 * {@code SEED-Bench.json} ({@code --annotations}): an answer is right when its text equals the option letter exactly;
 * accuracy per question type, in total, and over image and video questions; a missing answer is wrong. The headline
 * is the image accuracy (SEED-Bench-IMG, what LLaVA-1.5 reports; LLaVA's seed question file holds the image
 * questions and the middle frame of each video).
 */
public final class SeedBenchScorer implements BenchmarkScorer {
    @Override
    public String name() {
        return "seed";
    }

    @Override
    public String annotations() {
        return "SEED-Bench.json (questions with question_type_id, data_type and answer)";
    }

    @Override
    public BenchmarkScore score(ScoringInput input) {
        Path file = input.requireAnnotations(this);
        JsonNode data = ScoringInput.readJson(file);
        Map<String, String> typeNames = new HashMap<>();
        data.path("question_type").properties().forEach(e -> typeNames.put(e.getValue().asText(), e.getKey()));
        Map<Integer, int[]> byType = new TreeMap<>();  // type id → {count, correct}
        Map<String, int[]> byData = new HashMap<>();
        int scored = 0;
        if (!data.path("questions").isArray()) {
            throw new InvalidInputException(file.toString(), "has no 'questions' list");
        }
        for (JsonNode q : data.path("questions")) {
            JsonNode answer = input.answers().get(q.path("question_id").asText());
            boolean right = answer != null && answer.path("text").asText().equals(q.path("answer").asText());
            scored += answer == null ? 0 : 1;
            int[] t = byType.computeIfAbsent(q.path("question_type_id").asInt(), k -> new int[2]);
            int[] d = byData.computeIfAbsent(q.path("data_type").asText(), k -> new int[2]);
            t[0]++;
            d[0]++;
            t[1] += right ? 1 : 0;
            d[1] += right ? 1 : 0;
        }
        Map<String, Double> details = new TreeMap<>();
        int count = 0;
        int correct = 0;
        for (Map.Entry<Integer, int[]> e : byType.entrySet()) {
            String name = typeNames.getOrDefault(String.valueOf(e.getKey()), String.valueOf(e.getKey()));
            details.put(name, 100.0 * e.getValue()[1] / e.getValue()[0]);
            count += e.getValue()[0];
            correct += e.getValue()[1];
        }
        details.put("total", 100.0 * correct / count);
        byData.forEach((type, c) -> details.put(type, 100.0 * c[1] / c[0]));
        boolean images = byData.containsKey("image");
        return new BenchmarkScore(name(), images ? "image" : "total", images ? details.get("image")
                : details.get("total"), scored, count, details);
    }
}
