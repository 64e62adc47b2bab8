package dev.mod4j.eval;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mod4j.loaders.FileLimit;
import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.SmallFiles;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One line of a question file in LLaVA's evaluation format ({@code llava/eval/model_vqa_loader.py}):
 * {@code {"question_id": 7, "image": "COCO_val2014_000000001.jpg", "text": "Is there a dog?\nAnswer ..."}}, with
 * an optional ground truth under {@code answer}, {@code gt_answer}, {@code ground_truth} or {@code label} (a string,
 * or a list of acceptable strings).
 *
 * @param id          the question_id as written (number or string); {@link #key()} compares them
 * @param image       the image's file name relative to the image folder, or null for a text-only question
 * @param groundTruth acceptable answers, empty when the line has none
 * @param line        the whole line, for a benchmark's own fields ({@code category}, options, ...)
 * @param key         what identifies the question in an answers file: the question_id as text (7 and "7" are the
 *                    same question), or {@link #keyOf(String, String) question_id + text} when the file asks
 *                    several questions under one id (LLaVA's MME file gives both questions of an image its path)
 */
public record EvalQuestion(JsonNode id, String image, String text, List<String> groundTruth, JsonNode line,
                           String key) {
    static final List<String> GROUND_TRUTH_FIELDS = List.of("answer", "gt_answer", "ground_truth", "label");

    /** The key of a question asked under a shared question_id: the id and the question's text. */
    public static String keyOf(String questionId, String text) {
        return questionId + "\u0000" + text;
    }

    /** Reads a JSONL question file; blank lines are skipped, a bad line is an error naming its number. */
    public static List<EvalQuestion> read(Path file) {
        ObjectMapper json = new ObjectMapper();
        List<EvalQuestion> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        Set<String> shared = new HashSet<>();
        String content = SmallFiles.readText(file, FileLimit.JSON_LINES);
        try (BufferedReader reader = new BufferedReader(new StringReader(content))) {
            String line;
            int number = 0;
            while ((line = reader.readLine()) != null) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                String where = file + " line " + number;
                JsonNode node;
                try {
                    node = json.readTree(line);
                } catch (JsonProcessingException e) {
                    throw new InvalidInputException(where, "is not JSON: " + e.getOriginalMessage());
                }
                if (node == null || !node.isObject()) {
                    throw new InvalidInputException(where, "expected a JSON object per line");
                }
                JsonNode id = node.get("question_id");
                if (id == null || !(id.isTextual() || id.isIntegralNumber())) {
                    throw new InvalidInputException(where, "needs a question_id (a number or a string)");
                }
                JsonNode text = node.get("text");
                if (text == null || !text.isTextual()) {
                    throw new InvalidInputException(where, "needs the question as a string field 'text'");
                }
                JsonNode image = node.get("image");
                if (image != null && !image.isNull() && !image.isTextual()) {
                    throw new InvalidInputException(where, "'image' must be a file name");
                }
                if (!seen.add(keyOf(id.asText(), text.asText()))) {
                    throw new InvalidInputException(where, "question_id " + id + " appears twice with the same text");
                }
                if (!seen.add(id.asText())) {
                    shared.add(id.asText());
                }
                out.add(new EvalQuestion(id, image == null || image.isNull() ? null : image.asText(), text.asText(),
                        groundTruth(node, where), node, id.asText()));
            }
        } catch (IOException e) {
            throw new InvalidInputException(file.toString(), "cannot read the questions: " + e.getMessage(), e);
        }
        if (!shared.isEmpty()) {
            out.replaceAll(q -> shared.contains(q.key()) ? new EvalQuestion(q.id(), q.image(), q.text(),
                    q.groundTruth(), q.line(), keyOf(q.key(), q.text())) : q);
        }
        if (out.isEmpty()) {
            throw new InvalidInputException(file.toString(), "holds no questions");
        }
        return out;
    }

    private static List<String> groundTruth(JsonNode node, String where) {
        for (String field : GROUND_TRUTH_FIELDS) {
            JsonNode value = node.get(field);
            if (value == null || value.isNull()) {
                continue;
            }
            if (value.isValueNode()) {
                return List.of(value.asText());
            }
            if (value.isArray()) {
                List<String> all = new ArrayList<>();
                value.forEach(v -> all.add(v.asText()));
                return List.copyOf(all);
            }
            throw new InvalidInputException(where, "'" + field + "' must be a string or a list of strings");
        }
        return List.of();
    }
}
