package dev.mod4j.eval.score;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mod4j.eval.EvalQuestion;
import dev.mod4j.loaders.InvalidInputException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a scorer reads: the questions in file order, the answers by question id (LLaVA answer lines:
 * {@code question_id}, {@code prompt}, {@code text}), and the benchmark's annotation file or folder when it has one.
 *
 * @param annotations null when none was given; scorers then use the ground truth in the question lines
 */
public record ScoringInput(List<EvalQuestion> questions, Map<String, JsonNode> answers, Path annotations) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The answer's text, or null when the question has no answer yet. */
    public String text(EvalQuestion q) {
        JsonNode a = answers.get(q.key());
        return a == null ? null : a.path("text").asText();
    }

    /** The answer's prompt as written in the answers file (LLaVA writes the question text). */
    public String prompt(EvalQuestion q) {
        JsonNode a = answers.get(q.key());
        return a == null || !a.hasNonNull("prompt") ? q.text() : a.get("prompt").asText();
    }

    /** The annotations path, which this benchmark needs. */
    public Path requireAnnotations(BenchmarkScorer scorer) {
        if (annotations == null) {
            throw new InvalidInputException("--annotations", scorer.name() + " needs " + scorer.annotations());
        }
        return annotations;
    }

    /** A JSON file, or a clear error naming it. */
    public static JsonNode readJson(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new InvalidInputException(file.toString(), "cannot read as JSON: " + e.getMessage(), e);
        }
    }

    /** The JSON objects of a JSONL file, blank lines skipped. */
    public static List<JsonNode> readJsonLines(Path file) {
        List<JsonNode> out = new ArrayList<>();
        try {
            int number = 0;
            for (String line : Files.readAllLines(file)) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                try {
                    out.add(JSON.readTree(line));
                } catch (IOException e) {
                    throw new InvalidInputException(file + " line " + number, "is not JSON: " + e.getMessage(), e);
                }
            }
        } catch (IOException e) {
            throw new InvalidInputException(file.toString(), "cannot read: " + e.getMessage(), e);
        }
        return out;
    }

    /** A field a question line must have for this benchmark. */
    public static String field(EvalQuestion q, String name, String benchmark) {
        JsonNode v = q.line().get(name);
        if (v == null || v.isNull()) {
            throw new InvalidInputException("question " + q.id().asText(), benchmark + " needs the field '" + name + "'");
        }
        return v.asText();
    }
}
