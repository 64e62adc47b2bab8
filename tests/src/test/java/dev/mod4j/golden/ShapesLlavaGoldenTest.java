package dev.mod4j.golden;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mod4j.api.Answer;
import dev.mod4j.api.DemoAssets;
import dev.mod4j.api.ImageInput;
import dev.mod4j.api.Llava;
import dev.mod4j.eval.AnswerGrader;
import dev.mod4j.eval.EvalQuestion;
import dev.mod4j.report.DemoFixture;
import dev.mod4j.runtime.prompt.PromptRows;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The trained demo model (examples/train/train_dense.py) in mod4j against PyTorch's own forward of the same stored
 * weights (examples/train/export_demo.py wrote golden/shapes-llava/): for test questions, the prompt ids (the
 * checkpoint's chat template, tokenized as the llava-hf processor does, the image expanded) and the greedy ids, exact.
 * Then the bundled slice of the test split graded as {@code mod4j eval} grades it: the same count of right answers as
 * PyTorch's.
 */
class ShapesLlavaGoldenTest {

    @Test
    void promptIdsAndGreedyIdsEqualPyTorchsOwnForwardOfTheTrainedWeights() throws Exception {
        GoldenCase golden = GoldenCase.load("shapes-llava");
        Path model = DemoAssets.trainedModel(DemoFixture.cacheRoot());
        assertEquals(golden.golden().get("model_sha256").asText(), sha256(model.resolve("model.safetensors")),
                "the golden file was made from the bundled checkpoint");
        int imageToken = golden.golden().get("image_token_index").asInt();
        int eos = golden.golden().get("eos_token_id").asInt();
        int maxNewTokens = golden.golden().get("max_new_tokens").asInt();
        try (Llava llava = Llava.open(model)) {
            for (JsonNode sample : golden.golden().get("samples")) {
                String id = sample.get("question_id").asText();
                ImageInput image = ImageInput.of(golden.directory().resolve(sample.get("image").asText()));
                String question = sample.get("text").asText();
                PromptRows prompt = llava.prompt(image, question);
                int[] expected = ints(sample.get("prompt_ids"));
                for (int i = 0; i < expected.length; i++) {
                    expected[i] = expected[i] == imageToken ? -1 : expected[i]; // image rows carry no token id
                }
                assertArrayEquals(expected, prompt.tokenIds(), id + ": prompt ids");
                Answer answer = llava.request(image, question).maxNewTokens(maxNewTokens).ask();
                int[] reference = ints(sample.get("greedy_ids"));
                boolean referenceStopped = reference.length > 0 && reference[reference.length - 1] == eos;
                // mod4j's generated tokens leave out the eos that stopped them; PyTorch's list ends with it
                assertArrayEquals(referenceStopped ? Arrays.copyOf(reference, reference.length - 1) : reference,
                        answer.tokens(), id + ": greedy ids");
                assertEquals(referenceStopped, answer.run().generation().stoppedOnEos(), id + ": stopped on eos");
                assertEquals(sample.get("greedy_text").asText(), answer.text(), id + ": answer text");
            }
        }
    }

    @Test
    void denseAnswersTheBundledSliceOfTheTestSplitAsPyTorchDoes() {
        GoldenCase golden = GoldenCase.load("shapes-llava");
        Path model = DemoAssets.trainedModel(DemoFixture.cacheRoot());
        Path questions = DemoAssets.trainedModelQuestions(model);
        List<EvalQuestion> list = EvalQuestion.read(questions);
        int correct = 0;
        try (Llava llava = Llava.open(model)) {
            for (EvalQuestion q : list) {
                ImageInput image = ImageInput.of(questions.getParent().resolve(q.image()));
                String answer = llava.request(image, q.text()).maxNewTokens(4).ask().text();
                correct += AnswerGrader.grade(q.groundTruth(), answer).orElseThrow() ? 1 : 0;
            }
        }
        assertEquals(golden.golden().get("samples").size(), list.size(), "the golden file covers the bundled slice");
        // This checks mod4j's grading of real answers against PyTorch's; the model's quality (92.5% on the test
        // split in PyTorch, issue 23 asked for 90%) is checked in TrainedModelsEvalTest.
        assertEquals(golden.golden().get("pytorch_correct").asInt(), correct, "right answers, mod4j vs PyTorch");
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }

    private static String sha256(Path file) throws IOException, NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }
}
