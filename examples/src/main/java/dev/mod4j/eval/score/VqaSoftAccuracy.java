package dev.mod4j.eval.score;

import dev.mod4j.loaders.InvalidInputException;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * The 10-annotator accuracy of TextVQA and VQAv2, as LLaVA's {@code llava/eval/m4c_evaluator.py}
 * ({@code TextVQAAccuracyEvaluator}, haotian-liu/LLaVA@c121f04) computes it: an answer scores, averaged over the ten
 * ways of leaving one annotator out, min(1, matching other annotators / 3), after {@link VqaAnswerNormalizer}.
 */
public final class VqaSoftAccuracy {
    private VqaSoftAccuracy() {
    }

    /** The score of {@code prediction} against exactly ten annotators' answers. */
    public static double score(String prediction, List<String> annotatorAnswers, String where) {
        if (annotatorAnswers.size() != 10) {
            throw new InvalidInputException(where, "expected the 10 annotators' answers, found "
                    + annotatorAnswers.size());
        }
        List<String> answers = new ArrayList<>();
        annotatorAnswers.forEach(a -> answers.add(VqaAnswerNormalizer.normalize(a)));
        String predicted = VqaAnswerNormalizer.normalize(prediction);
        if (!new LinkedHashSet<>(answers).contains(predicted)) {
            return 0.0;
        }
        double sum = 0;
        for (int left = 0; left < answers.size(); left++) {
            int matching = 0;
            for (int i = 0; i < answers.size(); i++) {
                if (i != left && answers.get(i).equals(predicted)) {
                    matching++;
                }
            }
            sum += Math.min(1, matching / 3.0);
        }
        return sum / answers.size();
    }
}
