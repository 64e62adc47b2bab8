package dev.mod4j.eval.score;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mod4j.eval.EvalQuestion;
import dev.mod4j.loaders.InvalidInputException;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * VQAv2-style accuracy on a split with public answers (val): the 10-annotator {@link VqaSoftAccuracy} that LLaVA's
 * m4c_evaluator computes, against the answers of VQA's annotation JSON ({@code annotations: [{question_id,
 * answers: [{answer}]}]}) or the question line's ten answers. (test-dev is scored by the EvalAI server; LLaVA's
 * convert_vqav2_for_submission.py only normalises for upload.) Only answered questions count.
 */
public final class VqaV2Scorer implements BenchmarkScorer {
    @Override
    public String name() {
        return "vqav2";
    }

    @Override
    public String annotations() {
        return "VQA's annotation JSON (e.g. v2_mscoco_val2014_annotations.json)";
    }

    @Override
    public BenchmarkScore score(ScoringInput input) {
        Map<String, List<String>> byId = new HashMap<>();
        if (input.annotations() != null) {
            for (JsonNode a : ScoringInput.readJson(input.annotations()).path("annotations")) {
                List<String> answers = new ArrayList<>();
                a.path("answers").forEach(x -> answers.add(x.path("answer").asText()));
                byId.put(a.path("question_id").asText(), answers);
            }
        }
        double sum = 0;
        int scored = 0;
        for (EvalQuestion q : input.questions()) {
            String text = input.text(q);
            if (text == null) {
                continue;
            }
            List<String> gts = input.annotations() == null ? q.groundTruth() : byId.get(q.id().asText());
            if (gts == null) {
                throw new InvalidInputException(input.annotations().toString(), "no annotation for question " + q.id().asText());
            }
            sum += VqaSoftAccuracy.score(text, gts, "question " + q.id().asText());
            scored++;
        }
        return new BenchmarkScore(name(), "accuracy", 100 * sum / scored, scored, input.questions().size(), Map.of());
    }
}
