package dev.mod4j.eval.score;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mod4j.eval.EvalQuestion;
import dev.mod4j.loaders.InvalidInputException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * MMBench with circular evaluation, as VLMEvalKit's {@code mcq_circular_eval} (open-compass/VLMEvalKit@e8e78f0,
 * vlmeval/dataset/utils/multiple_choice.py) runs it in exact-matching mode (no LLM judge): the question lines are
 * MMBench's TSV rows as JSON ({@code question_id} = the row's {@code index}, options under {@code A}..{@code E},
 * ground truth under {@code answer}); rows whose index differs by a multiple of 1,000,000 are the same question with
 * its options rotated, and a question counts as right only when every rotation's answer names the right option
 * ({@link MmbenchOptionParser}). The headline is that circular accuracy when the file has rotations, else the plain
 * accuracy of the main rows; a missing answer is wrong.
 */
public final class MmbenchScorer implements BenchmarkScorer {
    private static final long CIRCULAR_STRIDE = 1_000_000L;

    @Override
    public String name() {
        return "mmbench";
    }

    @Override
    public String annotations() {
        return "nothing: the question lines carry MMBench's options (A..E) and answer";
    }

    @Override
    public BenchmarkScore score(ScoringInput input) {
        Map<Long, List<Boolean>> groups = new LinkedHashMap<>();
        Map<Long, Boolean> mainHit = new LinkedHashMap<>();
        boolean rotated = false;
        int scored = 0;
        for (EvalQuestion q : input.questions()) {
            long index;
            try {
                index = Long.parseLong(q.id().asText());
            } catch (NumberFormatException e) {
                throw new InvalidInputException("question " + q.id().asText(), "mmbench question_id must be the TSV's"
                        + " integer index");
            }
            String gt = ScoringInput.field(q, "answer", name());
            String text = input.text(q);
            scored += text == null ? 0 : 1;
            boolean hit = text != null && gt.equals(MmbenchOptionParser.infer(text, choices(q)));
            long group = index % CIRCULAR_STRIDE;
            rotated |= group != index;
            groups.computeIfAbsent(group, k -> new ArrayList<>()).add(hit);
            if (group == index) {
                mainHit.put(index, hit);
            }
        }
        int circular = 0;
        int vanilla = 0;
        for (Map.Entry<Long, Boolean> main : mainHit.entrySet()) {
            circular += groups.get(main.getKey()).stream().allMatch(h -> h) ? 1 : 0;
            vanilla += main.getValue() ? 1 : 0;
        }
        Map<String, Double> details = new LinkedHashMap<>();
        details.put("circular_accuracy", 100.0 * circular / mainHit.size());
        details.put("vanilla_accuracy", 100.0 * vanilla / mainHit.size());
        return new BenchmarkScore(name(), rotated ? "circular_accuracy" : "accuracy",
                details.get(rotated ? "circular_accuracy" : "vanilla_accuracy"), scored, input.questions().size(),
                details);
    }

    /** VLMEvalKit's build_choices: the letters with an option text. */
    static Map<String, String> choices(EvalQuestion q) {
        Map<String, String> choices = new LinkedHashMap<>();
        for (char c = 'A'; c <= 'Z'; c++) {
            JsonNode v = q.line().get(String.valueOf(c));
            if (v != null && !v.isNull()) {
                choices.put(String.valueOf(c), v.asText());
            }
        }
        return choices;
    }
}
