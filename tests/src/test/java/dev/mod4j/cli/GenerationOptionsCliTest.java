package dev.mod4j.cli;

import dev.mod4j.report.DemoFixture;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** generate's --stop, --repeat-penalty and --min-p, end to end. */
class GenerationOptionsCliTest {
    @Test
    void stopEndsTheAnswerBeforeTheFirstStopStringAndSaysSo() {
        String model = DemoFixture.model().toString();
        CliRun free = CliRun.of("generate", "--model", model, "--prompt", "Describe a cat.", "--greedy",
                "--max-new-tokens", "16");
        assertEquals(0, free.exitCode(), free.err());
        String answer = free.out().stripTrailing();
        assertTrue(answer.length() >= 8, answer);
        // A piece from the middle whose first occurrence is where we took it.
        int at = answer.length() / 2;
        String stop = answer.substring(at, at + 3);
        int first = answer.indexOf(stop);
        CliRun stopped = CliRun.of("generate", "--model", model, "--prompt", "Describe a cat.", "--greedy",
                "--max-new-tokens", "16", "--stop", "no such text anywhere", "--stop", stop, "--stats");
        assertEquals(0, stopped.exitCode(), stopped.err());
        assertEquals(answer.substring(0, first) + System.lineSeparator(), stopped.out());
        assertTrue(stopped.err().contains("stopped at a --stop string"), stopped.err());
        assertEquals(1, stopped.err().lines().count(), stopped.err());
    }

    @Test
    void stopNeedsTextAndIsNotEmpty() throws Exception {
        Path llava = CliTest.golden("llava-original-f32");
        CliRun noTokenizer = CliRun.of("generate", "--model", llava.toString(), "--input-ids", CompareCliTest.IDS,
                "--pixel-values", llava.resolve("pixel_values.npy").toString(), "--stop", "x");
        CliTest.assertBadInput(noTokenizer, "--stop", "no tokenizer");
        CliRun empty = CliRun.of("generate", "--model", DemoFixture.model().toString(), "--prompt", "hi", "--stop", "");
        CliTest.assertBadInput(empty, "--stop", "must not be empty");
    }

    @Test
    void repeatPenaltyLowersOnlyTokensAlreadyInTheContext() throws Exception {
        // Dense greedy on the LLaVA golden model (PyTorch's tokens): 254,358,352,191,195,16,16,16. A penalty > 1 never
        // raises a logit, so each token up to the first repeat stays (none is in the prompt); the repeated 16 goes.
        Path llava = CliTest.golden("llava-original-f32");
        List<String> common = List.of("generate", "--model", llava.toString(), "--input-ids", CompareCliTest.IDS,
                "--pixel-values", llava.resolve("pixel_values.npy").toString(), "--greedy", "--max-new-tokens", "8",
                "--print-ids");
        CliRun plain = run(common);
        assertEquals("254,358,352,191,195,16,16,16", plain.out().strip(), plain.err());
        CliRun penalised = run(common, "--repeat-penalty", "100");
        assertEquals(0, penalised.exitCode(), penalised.err());
        List<String> ids = Arrays.asList(penalised.out().strip().split(","));
        assertEquals(List.of("254", "358", "352", "191", "195", "16"), ids.subList(0, 6));
        assertNotEquals("16", ids.get(6));
        CliTest.assertBadInput(run(common, "--repeat-penalty", "0"), "repeat-penalty", "> 0");
    }

    @Test
    void minPOneKeepsOnlyTheMostLikelyTokenWhateverTheTemperature() throws Exception {
        Path llava = CliTest.golden("llava-original-f32");
        List<String> common = List.of("generate", "--model", llava.toString(), "--input-ids", CompareCliTest.IDS,
                "--pixel-values", llava.resolve("pixel_values.npy").toString(), "--max-new-tokens", "8",
                "--print-ids");
        CliRun sampled = run(common, "--temperature", "5", "--seed", "3", "--min-p", "1");
        assertEquals("254,358,352,191,195,16,16,16", sampled.out().strip(), sampled.err());
        CliTest.assertBadInput(run(common, "--min-p", "1.5"), "min-p", "[0, 1]");
    }

    private static CliRun run(List<String> common, String... more) {
        String[] args = new String[common.size() + more.length];
        for (int i = 0; i < common.size(); i++) {
            args[i] = common.get(i);
        }
        System.arraycopy(more, 0, args, common.size(), more.length);
        return CliRun.of(args);
    }
}
