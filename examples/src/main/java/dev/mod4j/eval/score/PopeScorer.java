package dev.mod4j.eval.score;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mod4j.eval.EvalQuestion;
import dev.mod4j.loaders.InvalidInputException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * POPE as LLaVA's {@code llava/eval/eval_pope.py} (haotian-liu/LLaVA@c121f04) scores it, per split
 * ({@code coco_pope_adversarial.json}, {@code _popular}, {@code _random} in the annotation folder; a question's
 * {@code category} names its split): the first sentence of the answer, commas removed, split on single spaces; "No",
 * "no" or "not" among its words is no, anything else yes. Accuracy, precision, recall, F1 and the yes ratio per split.
 *
 * <p>The script pairs the k-th answer of a split with the k-th label of its annotation file; here the k-th question
 * of the split in the question file is paired with the k-th label, which is the same when the answers file is in
 * question order (as LLaVA writes it) and stays right when a resumed or distributed run wrote it in another order.
 * Without an annotation folder, a question's own {@code label}/{@code answer} is its label. The headline is the F1
 * averaged over the splits (as LLaVA-1.5's table reports POPE).
 */
public final class PopeScorer implements BenchmarkScorer {
    @Override
    public String name() {
        return "pope";
    }

    @Override
    public String annotations() {
        return "the folder of coco_pope_<split>.json label files (POPE's output/coco)";
    }

    @Override
    public BenchmarkScore score(ScoringInput input) {
        Map<String, List<EvalQuestion>> bySplit = new LinkedHashMap<>();
        for (EvalQuestion q : input.questions()) {
            String split = q.line().hasNonNull("category") ? q.line().get("category").asText() : "all";
            bySplit.computeIfAbsent(split, k -> new ArrayList<>()).add(q);
        }
        Map<String, List<String>> labels = input.annotations() == null ? inlineLabels(bySplit)
                : annotationLabels(input.annotations(), bySplit);
        Map<String, Double> details = new LinkedHashMap<>();
        double f1Sum = 0;
        double accSum = 0;
        int scored = 0;
        int expected = 0;
        for (Map.Entry<String, List<String>> split : labels.entrySet()) {
            List<EvalQuestion> qs = bySplit.getOrDefault(split.getKey(), List.of());
            int tp = 0, fp = 0, tn = 0, fn = 0, yes = 0, n = 0;
            for (int i = 0; i < qs.size(); i++) {
                String text = input.text(qs.get(i));
                if (text == null) {
                    continue;
                }
                boolean predYes = !saysNo(text);
                boolean labelYes = !split.getValue().get(i).equals("no");
                n++;
                yes += predYes ? 1 : 0;
                if (predYes && labelYes) {
                    tp++;
                } else if (predYes) {
                    fp++;
                } else if (!labelYes) {
                    tn++;
                } else {
                    fn++;
                }
            }
            double precision = tp / (double) (tp + fp);
            double recall = tp / (double) (tp + fn);
            double f1 = 2 * precision * recall / (precision + recall);
            double acc = (tp + tn) / (double) (tp + tn + fp + fn);
            String s = split.getKey();
            details.put(s + ".accuracy", 100 * acc);
            details.put(s + ".precision", 100 * precision);
            details.put(s + ".recall", 100 * recall);
            details.put(s + ".f1", 100 * f1);
            details.put(s + ".yes_ratio", 100 * yes / (double) n);
            details.put(s + ".tp", (double) tp);
            details.put(s + ".fp", (double) fp);
            details.put(s + ".tn", (double) tn);
            details.put(s + ".fn", (double) fn);
            f1Sum += f1;
            accSum += acc;
            scored += n;
            expected += qs.size();
        }
        details.put("accuracy", 100 * accSum / labels.size());
        return new BenchmarkScore(name(), "f1", 100 * f1Sum / labels.size(), scored, expected, details);
    }

    /** eval_pope.py's reading: the first sentence (up to the first '.'), commas dropped, words split on ' '. */
    static boolean saysNo(String text) {
        int dot = text.indexOf('.');
        String first = dot >= 0 ? text.substring(0, dot) : text;
        List<String> words = List.of(first.replace(",", "").split(" ", -1));
        return words.contains("No") || words.contains("not") || words.contains("no");
    }

    private static Map<String, List<String>> inlineLabels(Map<String, List<EvalQuestion>> bySplit) {
        Map<String, List<String>> labels = new LinkedHashMap<>();
        bySplit.forEach((split, qs) -> {
            List<String> l = new ArrayList<>();
            for (EvalQuestion q : qs) {
                if (q.groundTruth().isEmpty()) {
                    throw new InvalidInputException("question " + q.id().asText(), "pope needs a label (yes/no) in the"
                            + " question line or --annotations (the coco_pope_<split>.json folder)");
                }
                l.add(q.groundTruth().getFirst());
            }
            labels.put(split, l);
        });
        return labels;
    }

    private static Map<String, List<String>> annotationLabels(Path dir, Map<String, List<EvalQuestion>> bySplit) {
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.getFileName().toString().startsWith("coco_pope_")
                    && p.getFileName().toString().endsWith(".json")).sorted().toList();
        } catch (IOException e) {
            throw new InvalidInputException(dir.toString(), "cannot list the POPE annotation folder: " + e.getMessage(), e);
        }
        if (files.isEmpty()) {
            throw new InvalidInputException(dir.toString(), "holds no coco_pope_<split>.json files");
        }
        Map<String, List<String>> labels = new LinkedHashMap<>();
        for (Path f : files) {
            String name = f.getFileName().toString();
            String split = name.substring("coco_pope_".length(), name.length() - ".json".length());
            List<String> l = new ArrayList<>();
            for (JsonNode line : ScoringInput.readJsonLines(f)) {
                if (!line.hasNonNull("label")) {
                    throw new InvalidInputException(f.toString(), "a line has no 'label'");
                }
                l.add(line.get("label").asText());
            }
            int questions = bySplit.getOrDefault(split, List.of()).size();
            if (questions != l.size()) {
                throw new InvalidInputException(f.toString(), "has " + l.size() + " labels but the question file has "
                        + questions + " questions of category '" + split + "'");
            }
            labels.put(split, l);
        }
        return labels;
    }
}
