package dev.mod4j.eval.score;

import dev.mod4j.eval.EvalQuestion;
import dev.mod4j.loaders.InvalidInputException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * MME as LLaVA scores it: {@code convert_answer_to_mme.py} (shipped in LLaVA's eval.zip under
 * playground/data/eval/MME) turns the answers into one {@code category.txt} per task with the ground truth looked up
 * by (category, image's .txt, question), then MME's {@code eval_tool/calculation.py} (BradyFU/Awesome-Multimodal-
 * Large-Language-Models, Evaluation branch @dd29509, tools/eval_tool.zip) scores each task as accuracy + accuracy+
 * (both questions of an image right), in points, and sums perception's ten and cognition's four tasks.
 *
 * <p>The answer is read as calculation.py reads it back from its text file: lowercased and with the line's newline,
 * so it is "yes" when its first four characters contain "yes", else "no" when they contain "no", else "other"
 * (wrong). Pairs are consecutive questions of a task in question-file order (LLaVA's llava_mme.jsonl keeps an
 * image's two questions together). Ground truth: the MME_Benchmark_release_version folder as {@code --annotations},
 * or the question line's own {@code answer}.
 */
public final class MmeScorer implements BenchmarkScorer {
    static final List<String> PERCEPTION = List.of("existence", "count", "position", "color", "posters", "celebrity",
            "scene", "landmark", "artwork", "OCR");
    static final List<String> COGNITION = List.of("commonsense_reasoning", "numerical_calculation", "text_translation",
            "code_reasoning");
    private static final String SHORT_ANSWER = "Answer the question using a single word or phrase.";
    private static final String YES_OR_NO = "Please answer yes or no.";

    @Override
    public String name() {
        return "mme";
    }

    @Override
    public String annotations() {
        return "the MME_Benchmark_release_version folder (one folder per task with question\\tanswer .txt files)";
    }

    @Override
    public BenchmarkScore score(ScoringInput input) {
        Map<String, String> truth = input.annotations() == null ? Map.of() : groundTruth(input.annotations());
        Map<String, List<boolean[]>> tasks = new LinkedHashMap<>();  // task → per question: {answered, correct}
        Map<String, List<String>> imagesOf = new LinkedHashMap<>();
        int scored = 0;
        for (EvalQuestion q : input.questions()) {
            String id = q.id().asText();
            String category = id.split("/", -1)[0];
            String[] parts = id.split("/", -1);
            String file = parts[parts.length - 1].split("\\.", -1)[0] + ".txt";
            String gt;
            if (input.annotations() == null) {
                if (q.groundTruth().isEmpty()) {
                    throw new InvalidInputException("question " + id, "mme needs --annotations (the"
                            + " MME_Benchmark_release_version folder) or an 'answer' in the question line");
                }
                gt = q.groundTruth().getFirst();
            } else {
                String prompt = gtPrompt(input.prompt(q), truth, category, file);
                gt = truth.get(key(category, file, prompt));
                if (gt == null) {
                    throw new InvalidInputException("question " + id, "no ground truth in " + input.annotations()
                            + " for " + category + "/" + file + " question '" + prompt + "'");
                }
            }
            String text = input.text(q);
            boolean answered = text != null;
            scored += answered ? 1 : 0;
            boolean correct = answered && gt.toLowerCase(Locale.ROOT).equals(label(text));
            tasks.computeIfAbsent(category, k -> new ArrayList<>()).add(new boolean[]{answered, correct});
            imagesOf.computeIfAbsent(category, k -> new ArrayList<>()).add(file);
        }
        Map<String, Double> details = new LinkedHashMap<>();
        double perception = 0;
        double cognition = 0;
        for (Map.Entry<String, List<boolean[]>> task : tasks.entrySet()) {
            List<boolean[]> rows = task.getValue();
            if (rows.size() % 2 != 0) {
                throw new InvalidInputException("task " + task.getKey(), "has " + rows.size()
                        + " questions; MME asks two per image");
            }
            int correct = 0;
            int bothRight = 0;
            for (int i = 0; i < rows.size(); i += 2) {
                correct += (rows.get(i)[1] ? 1 : 0) + (rows.get(i + 1)[1] ? 1 : 0);
                bothRight += rows.get(i)[1] && rows.get(i + 1)[1] ? 1 : 0;
            }
            double acc = correct / (double) rows.size();
            double accPlus = bothRight / (rows.size() / 2.0);
            double score = acc * 100 + accPlus * 100;
            details.put(task.getKey(), score);
            details.put(task.getKey() + ".acc", 100 * acc);
            details.put(task.getKey() + ".acc_plus", 100 * accPlus);
            if (PERCEPTION.contains(task.getKey())) {
                perception += score;
            } else if (COGNITION.contains(task.getKey())) {
                cognition += score;
            }
        }
        details.put("cognition", cognition);
        return new BenchmarkScore(name(), "perception", perception, scored, input.questions().size(), details);
    }

    /** calculation.py's parse_pred_ans on the answer as read back from its line (lowercased, newline kept). */
    static String label(String text) {
        String read = text.toLowerCase(Locale.ROOT) + "\n";
        String prefix = read.substring(0, Math.min(4, read.length()));
        return prefix.contains("yes") ? "yes" : prefix.contains("no") ? "no" : "other";
    }

    /** convert_answer_to_mme.py's question as the ground-truth files spell it. */
    private static String gtPrompt(String prompt, Map<String, String> truth, String category, String file) {
        if (prompt.contains(SHORT_ANSWER)) {
            prompt = PythonStrings.strip(prompt.replace(SHORT_ANSWER, ""));
        }
        if (!prompt.contains(YES_OR_NO)) {
            prompt = prompt + " " + YES_OR_NO;
            if (!truth.containsKey(key(category, file, prompt))) {
                prompt = prompt.replace(" " + YES_OR_NO, "  " + YES_OR_NO);
            }
        }
        return prompt;
    }

    private static String key(String category, String file, String question) {
        return category + "\u0000" + file + "\u0000" + question;
    }

    /** convert_answer_to_mme.py's get_gt: every task folder's (or its questions_answers_YN's) .txt lines. */
    static Map<String, String> groundTruth(Path root) {
        Map<String, String> gt = new HashMap<>();
        try (Stream<Path> categories = Files.list(root)) {
            for (Path dir : categories.filter(Files::isDirectory).toList()) {
                Path qa = Files.exists(dir.resolve("images")) ? dir.resolve("questions_answers_YN") : dir;
                if (!Files.isDirectory(qa)) {
                    throw new InvalidInputException(qa.toString(), "MME task folder without its questions");
                }
                try (Stream<Path> txts = Files.list(qa)) {
                    for (Path txt : txts.filter(p -> p.getFileName().toString().endsWith(".txt")).toList()) {
                        for (String line : Files.readAllLines(txt)) {
                            String[] qa2 = PythonStrings.strip(line).split("\t", -1);
                            if (qa2.length != 2) {
                                throw new InvalidInputException(txt.toString(), "expected 'question<TAB>answer' lines");
                            }
                            gt.put(key(dir.getFileName().toString(), txt.getFileName().toString(), qa2[0]), qa2[1]);
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new InvalidInputException(root.toString(), "cannot read the MME folder: " + e.getMessage(), e);
        }
        return gt;
    }
}
