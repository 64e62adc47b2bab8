package dev.mod4j.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mod4j.eval.score.BenchmarkScore;
import dev.mod4j.eval.score.BenchmarkScorers;
import dev.mod4j.eval.score.MmbenchOptionParser;
import dev.mod4j.eval.score.ScoringInput;
import dev.mod4j.eval.score.VqaAnswerNormalizer;
import dev.mod4j.loaders.InvalidInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The benchmark scorers against the numbers the benchmarks' own scoring code prints for the same small files
 * (tests/golden/generate_eval_scores.py: LLaVA's eval_pope.py, eval_textvqa.py + m4c_evaluator.py,
 * eval_science_qa.py, convert_gqa_for_eval.py, convert_seed_for_submission.py; MME's convert_answer_to_mme.py and
 * calculation.py; VLMEvalKit's exact-matching circular evaluation).
 */
class BenchmarkScorersGoldenTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Path dir(String benchmark) throws Exception {
        return Path.of(BenchmarkScorersGoldenTest.class.getResource("/golden/eval-scores/" + benchmark
                + "/expected.json").toURI()).getParent();
    }

    static BenchmarkScore score(String benchmark, String annotations) throws Exception {
        Path d = dir(benchmark);
        Map<String, JsonNode> answers = AnswerFile.readLines(d.resolve("answers.jsonl"));
        return BenchmarkScorers.of(benchmark).score(new ScoringInput(EvalQuestion.read(d.resolve("questions.jsonl")),
                answers, annotations == null ? null : d.resolve(annotations)));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(nullValues = "-", value = {
            "pope, coco",
            "mme, MME_Benchmark_release_version",
            "gqa, testdev_balanced_questions.json",
            "textvqa, TextVQA_0.5.1_val.json",
            "vqav2, v2_mscoco_val2014_annotations.json",
            "scienceqa, data",
            "seed, SEED-Bench.json",
            "mmbench, -"})
    void scoresAsTheOfficialScriptDoes(String benchmark, String annotations) throws Exception {
        JsonNode expected = JSON.readTree(dir(benchmark).resolve("expected.json").toFile());
        BenchmarkScore score = score(benchmark, annotations);
        double tolerance = expected.get("tolerance").asDouble();
        assertEquals(expected.get("metric").asText(), score.metric());
        assertEquals(expected.get("value").asDouble(), score.value(), tolerance, benchmark);
        expected.get("details").properties().forEach(e -> {
            assertTrue(score.details().containsKey(e.getKey()), benchmark + " lacks " + e.getKey());
            assertEquals(e.getValue().asDouble(), score.details().get(e.getKey()), tolerance,
                    benchmark + " " + e.getKey());
        });
    }

    @Test
    void normalizesAnswersAsEvalAiAnswerProcessor() throws Exception {
        for (JsonNode pair : JSON.readTree(dir("vqav2").resolve("normalized.json").toFile())) {
            assertEquals(pair.get(1).asText(), VqaAnswerNormalizer.normalize(pair.get(0).asText()),
                    pair.get(0).asText());
        }
    }

    @Test
    void infersMmbenchOptionsAsVlmEvalKit() throws Exception {
        for (JsonNode c : JSON.readTree(dir("mmbench").resolve("inferred.json").toFile())) {
            Map<String, String> choices = new LinkedHashMap<>();
            c.get(1).properties().forEach(e -> choices.put(e.getKey(), e.getValue().asText()));
            String expected = c.get(2).isNull() ? null : c.get(2).asText();
            assertEquals(expected, MmbenchOptionParser.infer(c.get(0).asText(), choices), c.toString());
        }
    }

    @Test
    void annotationsThatDoNotMatchTheQuestionsAreAnErrorNamingTheFile() throws Exception {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> BenchmarkScorers.of("pope")
                .score(new ScoringInput(EvalQuestion.read(dir("gqa").resolve("questions.jsonl")), Map.of(),
                        dir("pope").resolve("coco"))));
        assertTrue(e.getMessage().contains("coco_pope_adversarial.json"), e.getMessage());
        assertThrows(InvalidInputException.class, () -> BenchmarkScorers.of("scienceqa").score(
                new ScoringInput(EvalQuestion.read(dir("gqa").resolve("questions.jsonl")), Map.of(), null)));
    }
}
