package dev.mod4j.eval.score;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mod4j.eval.EvalQuestion;
import dev.mod4j.loaders.InvalidInputException;

import java.util.Locale;
import java.util.Map;

/**
 * GQA as LLaVA scores it: {@code scripts/convert_gqa_for_eval.py} (haotian-liu/LLaVA@c121f04) makes each prediction
 * {@code text.rstrip('.').lower()}, and GQA's {@code eval.py} counts a question right when the prediction equals its
 * answer exactly. Ground truth: GQA's {@code testdev_balanced_questions.json} (question id → {@code answer}) as
 * {@code --annotations}, or the question line's {@code answer}. A missing answer is wrong.
 */
public final class GqaScorer implements BenchmarkScorer {
    @Override
    public String name() {
        return "gqa";
    }

    @Override
    public String annotations() {
        return "GQA's questions JSON (e.g. testdev_balanced_questions.json: question id -> {answer, ...})";
    }

    @Override
    public BenchmarkScore score(ScoringInput input) {
        JsonNode gqa = input.annotations() == null ? null : ScoringInput.readJson(input.annotations());
        int correct = 0;
        int scored = 0;
        for (EvalQuestion q : input.questions()) {
            String gold;
            if (gqa != null) {
                JsonNode entry = gqa.get(q.id().asText());
                if (entry == null || !entry.hasNonNull("answer")) {
                    throw new InvalidInputException(input.annotations().toString(), "no answer for question " + q.id().asText());
                }
                gold = entry.get("answer").asText();
            } else if (!q.groundTruth().isEmpty()) {
                gold = q.groundTruth().getFirst();
            } else {
                throw new InvalidInputException("question " + q.id().asText(), "gqa needs --annotations or an 'answer'");
            }
            String text = input.text(q);
            if (text == null) {
                continue;
            }
            scored++;
            correct += prediction(text).equals(gold) ? 1 : 0;
        }
        return new BenchmarkScore(name(), "accuracy", 100.0 * correct / input.questions().size(), scored,
                input.questions().size(), Map.of("correct", (double) correct));
    }

    /** {@code text.rstrip('.').lower()}. */
    static String prediction(String text) {
        int end = text.length();
        while (end > 0 && text.charAt(end - 1) == '.') {
            end--;
        }
        return text.substring(0, end).toLowerCase(Locale.ROOT);
    }
}
