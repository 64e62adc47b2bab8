package dev.mod4j.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.mod4j.eval.AnswerFile;
import dev.mod4j.eval.EvalQuestion;
import dev.mod4j.loaders.fuzz.FuzzContract;

import java.nio.file.Path;

/**
 * Fuzzes the eval command's input files: a question file ({@code EvalQuestion.read}) and an existing answers file
 * ({@code AnswerFile.read}, which also repairs a torn last line). Seeds: EvalFilesFuzzTestsInputs/readQuestions and
 * readAnswers (LLaVA's question and answer formats, ground-truth variants, a torn last answer).
 */
class EvalFilesFuzzTests {
    private static final Path DIR = FuzzContract.scratch("eval");

    @FuzzTest(maxDuration = "2m")
    void readQuestions(byte[] bytes) throws Exception {
        Path file = FuzzContract.write(DIR.resolve("questions.jsonl"), bytes);
        FuzzContract.check("questions", () -> EvalQuestion.read(file).forEach(q -> q.key()));
    }

    @FuzzTest(maxDuration = "2m")
    void readAnswers(byte[] bytes) throws Exception {
        Path file = FuzzContract.write(DIR.resolve("answers.jsonl"), bytes);
        FuzzContract.check("answers", () -> AnswerFile.read(file).size());
    }
}
