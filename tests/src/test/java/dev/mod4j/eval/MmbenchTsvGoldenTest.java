package dev.mod4j.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mod4j.cli.Mod4j;
import dev.mod4j.eval.score.BenchmarkScore;
import dev.mod4j.eval.score.BenchmarkScorers;
import dev.mod4j.eval.score.ScoringInput;
import dev.mod4j.loaders.image.DecodedImage;
import dev.mod4j.loaders.image.ImageDecoder;
import dev.mod4j.runtime.generate.PromptTemplate;
import dev.mod4j.report.DemoFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.mod4j.loaders.MessageAssertions.assertMentions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * MMBench's TSV read and asked as LLaVA's {@code llava/eval/model_vqa_mmbench.py} does, against what that script
 * itself built for the same TSV (tests/golden/generate_mmbench_tsv.py: the conversation prompts, the answer lines'
 * {@code question_id}, {@code round_id}, {@code prompt}, {@code options}, {@code option_char}), and the circular score
 * VLMEvalKit's exact-matching evaluation gives the answers of that run.
 */
class MmbenchTsvGoldenTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    static Path golden() throws Exception {
        return Path.of(MmbenchTsvGoldenTest.class.getResource("/golden/eval-scores/mmbench-tsv/mmbench_golden.tsv")
                .toURI()).getParent();
    }

    static MmbenchPrompt flags(Path caseDir) throws Exception {
        List<String> flags = new ArrayList<>();
        JSON.readTree(caseDir.resolve("flags.json").toFile()).forEach(f -> flags.add(f.asText()));
        int lang = flags.indexOf("--lang");
        return new MmbenchPrompt(flags.contains("--all-rounds"), flags.contains("--single-pred-prompt"),
                lang >= 0 ? flags.get(lang + 1) : "en");
    }

    static List<JsonNode> lines(Path file) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            out.add(JSON.readTree(line));
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"plain", "single-pred", "all-rounds", "cn"})
    void asksAndScoresAsLlavasModelVqaMmbench(String name) throws Exception {
        Path caseDir = golden().resolve(name);
        List<EvalQuestion> questions = MmbenchTsv.read(golden().resolve("mmbench_golden.tsv"), tmp, flags(caseDir));
        List<JsonNode> llava = lines(caseDir.resolve("answers.jsonl"));
        JsonNode prompts = JSON.readTree(caseDir.resolve("prompts.json").toFile());
        assertEquals(llava.size(), questions.size());
        for (int i = 0; i < questions.size(); i++) {
            EvalQuestion q = questions.get(i);
            JsonNode expected = llava.get(i);
            assertEquals(expected.get("question_id").asLong(), q.id().asLong());
            assertEquals(prompts.get(i).asText(), PromptTemplate.VICUNA_V1.apply(q.text(), 1), "prompt " + i);
            JsonNode own = q.line().get(Evaluation.ANSWER_FIELDS);
            for (String field : List.of("round_id", "prompt", "options", "option_char")) {
                assertEquals(expected.get(field), own.get(field), field + " of line " + i);
            }
        }
        // The rows' images, decoded from base64 into the image folder (the generator drew row k at 24+k × 16+2k).
        for (int k = 0; k < 7; k++) {
            long index = k < 6 ? k : 1000007;
            Path image = tmp.resolve(index + (k % 2 == 0 ? ".png" : ".jpg"));
            DecodedImage decoded = ImageDecoder.decode(image);
            assertEquals(24 + k, decoded.width(), image.toString());
            assertEquals(16 + 2 * k, decoded.height(), image.toString());
        }
        Map<String, JsonNode> answers = AnswerFile.readLines(caseDir.resolve("answers.jsonl"));
        BenchmarkScore score = BenchmarkScorers.of("mmbench").score(new ScoringInput(questions, answers, null));
        JsonNode expected = JSON.readTree(caseDir.resolve("expected.json").toFile());
        assertEquals(expected.get("value").asDouble(), score.value(), 1e-9);
        expected.get("details").properties().forEach(e ->
                assertEquals(e.getValue().asDouble(), score.details().get(e.getKey()), 1e-9, e.getKey()));
    }

    record Run(int exitCode, String out, String err) {
    }

    static Run eval(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Mod4j.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void evalAnswersTheTsvWithLlavasAnswerLinesAndScoresThemCircularly() throws Exception {
        Path answers = tmp.resolve("answers").resolve("llava-v1.5-7b.jsonl");
        Run run = eval("eval", "--model-path", DemoFixture.model().toString(), "--question-file",
                golden().resolve("mmbench_golden.tsv").toString(), "--answers-file", answers.toString(),
                "--all-rounds", "--single-pred-prompt", "--max_new_tokens", "2", "--benchmark", "mmbench");
        assertEquals(0, run.exitCode(), run.err());
        List<JsonNode> ours = lines(answers);
        List<JsonNode> llava = lines(golden().resolve("all-rounds").resolve("answers.jsonl"));
        assertEquals(llava.size(), ours.size());
        for (int i = 0; i < ours.size(); i++) {
            for (String field : List.of("question_id", "round_id", "prompt", "options", "option_char")) {
                assertEquals(llava.get(i).get(field), ours.get(i).get(field), field + " of line " + i);
            }
            assertTrue(ours.get(i).has("text") && ours.get(i).has("answer_id"));
        }
        assertTrue(Files.exists(tmp.resolve("answers").resolve("mmbench_golden_images").resolve("0.png")));
        assertMentions(run.out(), "23 questions × 1 schedules", "circular_accuracy");
        JsonNode results = JSON.readTree(tmp.resolve("answers").resolve("results.json").toFile());
        assertTrue(results.toString().contains("mmbench"), results.toString());

        // Resumed: nothing is asked again.
        Run again = eval("eval", "--model-path", DemoFixture.model().toString(), "--question-file",
                golden().resolve("mmbench_golden.tsv").toString(), "--answers-file", answers.toString(),
                "--all-rounds", "--single-pred-prompt", "--max_new_tokens", "2", "--benchmark", "mmbench");
        assertEquals(0, again.exitCode(), again.err());
        assertMentions(again.out(), "0 answers written now, 23 were there");
    }

    @Test
    void aTsvWithoutAnOptionColumnOrMmbenchFlagsOnJsonlAreRefusedByName() throws Exception {
        Path tsv = tmp.resolve("broken.tsv");
        Files.writeString(tsv, "index\tquestion\thint\tA\tB\tC\timage\n0\tq\t\ta\tb\tc\tiVBORw0KGgo=\n");
        Run missing = eval("eval", "--model-path", DemoFixture.model().toString(), "--question-file", tsv.toString(),
                "--answers-out", tmp.resolve("a").toString());
        assertEquals(2, missing.exitCode(), missing.err());
        assertMentions(missing.err(), "broken.tsv", "no column 'D'");

        Path jsonl = tmp.resolve("q.jsonl");
        Files.writeString(jsonl, "{\"question_id\": 1, \"text\": \"hi\"}\n");
        Run flags = eval("eval", "--model-path", DemoFixture.model().toString(), "--question-file", jsonl.toString(),
                "--answers-out", tmp.resolve("b").toString(), "--all-rounds");
        assertEquals(2, flags.exitCode(), flags.err());
        assertMentions(flags.err(), "--all-rounds", "MMBench .tsv");
    }
}
