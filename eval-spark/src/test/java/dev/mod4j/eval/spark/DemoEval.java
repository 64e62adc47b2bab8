package dev.mod4j.eval.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mod4j.api.DemoAssets;
import dev.mod4j.cli.Mod4j;

import javax.imageio.ImageIO;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The evaluation the Spark tests run: {@link #QUESTIONS} questions about the demo picture under two schedules on the
 * demo model, 3 new tokens each, and the answers files it writes.
 */
final class DemoEval {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String SCHEDULES = "dense,pdrop";
    static final List<String> FILES = List.of("answers-dense.jsonl",
            "answers-pdrop_layers_2_4_6_ratios_0.5_0.25_0.125.jsonl");
    static final int QUESTIONS = 20;

    record Run(int exitCode, String out, String err) {
    }

    private DemoEval() {
    }

    /** Writes the demo picture and a LLaVA question file about it into {@code folder}; returns the question file. */
    static Path writeQuestions(Path folder) throws Exception {
        Files.createDirectories(folder);
        ImageIO.write(DemoAssets.picture().toBufferedImage(), "png", folder.resolve("scene.png").toFile());
        String[] asked = {"Is there a house?", "What is on the lake?", "Describe the picture.", "Is it day?",
                "What colour is the sky?"};
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < QUESTIONS; i++) {
            Map<String, Object> q = new HashMap<>();
            q.put("question_id", i);
            q.put("image", "scene.png");
            q.put("text", asked[i % asked.length] + (i >= asked.length ? " (" + i + ")" : ""));
            lines.add(JSON.writeValueAsString(q));
        }
        Path questions = folder.resolve("questions.jsonl");
        Files.write(questions, lines);
        return questions;
    }

    /** The {@code mod4j eval} arguments of this evaluation, answers into {@code out}. */
    static List<String> arguments(Path model, Path questions, Path out) {
        return new ArrayList<>(List.of("eval", "--model-path", model.toString(), "--question-file",
                questions.toString(), "--image-folder", questions.getParent().toString(), "--schedules", SCHEDULES,
                "--answers-out", out.toString(), "--max_new_tokens", "3", "--model-id", "demo"));
    }

    /** Runs {@code mod4j eval} in this JVM with {@code more} arguments. */
    static Run eval(Path model, Path questions, Path out, String... more) {
        List<String> args = arguments(model, questions, out);
        args.addAll(List.of(more));
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        int code = Mod4j.run(args.toArray(String[]::new), new PrintWriter(o, true), new PrintWriter(e, true));
        return new Run(code, o.toString(), e.toString());
    }

    /** Schedule file → question id → answer text; fails when a question is answered twice or not at all. */
    static Map<String, Map<String, String>> answers(Path dir) throws Exception {
        Map<String, Map<String, String>> all = new LinkedHashMap<>();
        for (String f : FILES) {
            Map<String, String> texts = new LinkedHashMap<>();
            for (String line : Files.readAllLines(dir.resolve(f))) {
                JsonNode n = JSON.readTree(line);
                String previous = texts.put(n.get("question_id").asText(), n.get("text").asText());
                assertEquals(null, previous, f + ": question " + n.get("question_id") + " answered twice");
            }
            assertEquals(QUESTIONS, texts.size(), f);
            all.put(f, texts);
        }
        return all;
    }
}
