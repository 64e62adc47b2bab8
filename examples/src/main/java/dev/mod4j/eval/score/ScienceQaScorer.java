package dev.mod4j.eval.score;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mod4j.eval.EvalQuestion;
import dev.mod4j.loaders.InvalidInputException;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * ScienceQA as LLaVA's {@code llava/eval/eval_science_qa.py} (haotian-liu/LLaVA@c121f04) scores it over the test
 * split of {@code pid_splits.json} / {@code problems.json} (the folder is {@code --annotations}): the option letter
 * is the whole answer, or its first character when followed by ". ", or the one letter of "The answer is X."; it must
 * be among the problem's options (A–E, as many as it has choices). A missing answer is wrong. IMG accuracy (the
 * headline, ScienceQA-IMG) counts the problems whose prompt holds {@code <image>}, as the script does; a mod4j
 * answers file, whose prompt is the question text, also counts the questions that have an image.
 */
public final class ScienceQaScorer implements BenchmarkScorer {
    private static final List<String> OPTIONS = List.of("A", "B", "C", "D", "E");
    private static final Pattern ANSWER_IS = Pattern.compile("The answer is ([A-Z]).");

    @Override
    public String name() {
        return "scienceqa";
    }

    @Override
    public String annotations() {
        return "ScienceQA's data folder (problems.json and pid_splits.json)";
    }

    @Override
    public BenchmarkScore score(ScoringInput input) {
        Path dir = input.requireAnnotations(this);
        JsonNode split = ScoringInput.readJson(dir.resolve("pid_splits.json")).get("test");
        JsonNode problems = ScoringInput.readJson(dir.resolve("problems.json"));
        if (split == null || !split.isArray()) {
            throw new InvalidInputException(dir.resolve("pid_splits.json").toString(), "has no 'test' list");
        }
        Map<String, EvalQuestion> questions = new HashMap<>();
        input.questions().forEach(q -> questions.put(q.id().asText(), q));
        int correct = 0, total = 0, imgCorrect = 0, imgTotal = 0, scored = 0;
        for (JsonNode pid : split) {
            JsonNode prob = problems.get(pid.asText());
            if (prob == null) {
                throw new InvalidInputException(dir.resolve("problems.json").toString(), "has no problem " + pid);
            }
            JsonNode answer = input.answers().get(pid.asText());
            String text = answer == null ? "FAILED" : answer.path("text").asText();
            String prompt = answer == null ? "Unknown" : answer.path("prompt").asText();
            EvalQuestion q = questions.get(pid.asText());
            boolean multimodal = prompt.contains("<image>") || (answer != null && q != null && q.image() != null);
            int predIdx = predictionIndex(parse(text), prob.path("choices").size());
            boolean right = predIdx == prob.path("answer").asInt();
            scored += answer == null ? 0 : 1;
            total++;
            correct += right ? 1 : 0;
            if (multimodal) {
                imgTotal++;
                imgCorrect += right ? 1 : 0;
            }
        }
        Map<String, Double> details = new LinkedHashMap<>();
        details.put("accuracy", 100.0 * correct / total);
        details.put("correct", (double) correct);
        details.put("img_total", (double) imgTotal);
        return new BenchmarkScore(name(), "img_accuracy", 100.0 * imgCorrect / imgTotal, scored, total, details);
    }

    /** The option letter eval_science_qa.py reads from an answer, or "FAILED". */
    static String parse(String text) {
        if (OPTIONS.contains(text)) {
            return text;
        }
        if (text.length() >= 3 && OPTIONS.contains(text.substring(0, 1)) && text.startsWith(". ", 1)) {
            return text.substring(0, 1);
        }
        Matcher m = ANSWER_IS.matcher(text);
        String found = null;
        int count = 0;
        while (m.find()) {
            count++;
            found = m.group(1);
        }
        return count == 1 ? found : "FAILED";
    }

    private static int predictionIndex(String letter, int choices) {
        int i = OPTIONS.indexOf(letter);
        return i >= 0 && i < choices ? i : -1;
    }
}
