package dev.mod4j.eval.score;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mod4j.eval.EvalQuestion;
import dev.mod4j.loaders.InvalidInputException;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * TextVQA as LLaVA's {@code llava/eval/eval_textvqa.py} (haotian-liu/LLaVA@c121f04) scores it: each answer is matched
 * to its annotation by (question_id = the annotation's image_id, the question recovered from the prompt, lowercased),
 * and scored with the 10-annotator {@link VqaSoftAccuracy}. Only answered questions count, as in the script.
 * Ground truth: {@code TextVQA_0.5.1_val.json} as {@code --annotations}, or the question line's ten answers.
 */
public final class TextVqaScorer implements BenchmarkScorer {
    private static final Pattern OCR_QUESTION = Pattern.compile("Question: (.*?) Short answer:", Pattern.DOTALL);

    @Override
    public String name() {
        return "textvqa";
    }

    @Override
    public String annotations() {
        return "TextVQA's annotation JSON (TextVQA_0.5.1_val.json)";
    }

    @Override
    public BenchmarkScore score(ScoringInput input) {
        Map<String, List<String>> byKey = new HashMap<>();
        if (input.annotations() != null) {
            for (JsonNode a : ScoringInput.readJson(input.annotations()).path("data")) {
                List<String> answers = new ArrayList<>();
                a.path("answers").forEach(x -> answers.add(x.asText()));
                byKey.put(a.path("image_id").asText() + "\u0000" + a.path("question").asText().toLowerCase(Locale.ROOT),
                        answers);
            }
        }
        double sum = 0;
        int scored = 0;
        for (EvalQuestion q : input.questions()) {
            String text = input.text(q);
            if (text == null) {
                continue;
            }
            List<String> gts;
            if (input.annotations() != null) {
                gts = byKey.get(q.id().asText() + "\u0000" + question(input.prompt(q), q.id().asText()));
                if (gts == null) {
                    throw new InvalidInputException(input.annotations().toString(), "no annotation for question "
                            + q.id().asText() + " ('" + question(input.prompt(q), q.id().asText()) + "')");
                }
            } else {
                gts = q.groundTruth();
            }
            sum += VqaSoftAccuracy.score(text, gts, "question " + q.id().asText());
            scored++;
        }
        return new BenchmarkScore(name(), "accuracy", 100 * sum / scored, scored, input.questions().size(), Map.of());
    }

    /** eval_textvqa.py's prompt_processor. */
    static String question(String prompt, String id) {
        String question;
        String[] lines = prompt.split("\n", -1);
        if (prompt.startsWith("OCR tokens: ")) {
            Matcher m = OCR_QUESTION.matcher(prompt);
            if (!m.find()) {
                throw new InvalidInputException("question " + id, "an OCR prompt without 'Question: ... Short answer:'");
            }
            question = m.group(1);
        } else if (prompt.contains("Reference OCR token: ") && lines.length == 3) {
            question = prompt.startsWith("Reference OCR token:") ? lines[1] : lines[0];
        } else if (lines.length == 2) {
            question = lines[0];
        } else {
            throw new InvalidInputException("question " + id, "prompt is not in a TextVQA form LLaVA's"
                    + " eval_textvqa.py reads (question, newline, instruction)");
        }
        return question.toLowerCase(Locale.ROOT);
    }
}
