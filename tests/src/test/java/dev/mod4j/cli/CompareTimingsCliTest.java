package dev.mod4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mod4j.api.DemoAssets;
import dev.mod4j.report.DemoFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** compare's timings on the demo model: every schedule warmed up, then the median of its repeats. */
class CompareTimingsCliTest {
    @TempDir
    Path tmp;

    /**
     * Dense first and last: with the JIT warm-up only before the first schedule (as before), the first dense decode
     * ran at a tenth of the speed of the later schedules. Warmed up alike, the two dense runs measure the same thing.
     * The machine is shared, so a comparison whose two dense medians differ by more is run once more before failing.
     */
    @Test
    void theFirstSchedulesDecodeMedianIsWithinTwentyPercentOfTheSameScheduleRunLater() throws Exception {
        Path image = tmp.resolve("demo.png");
        ImageIO.write(DemoAssets.picture().toBufferedImage(), "png", image.toFile());
        double ratio = Double.NaN;
        for (int attempt = 0; attempt < 2; attempt++) {
            CliRun run = CliRun.of("compare", "--model", DemoFixture.model().toString(), "--image", image.toString(),
                    "--prompt", DemoAssets.QUESTION, "--schedules", "dense,fastv,dense", "--repeats", "3",
                    "--max-new-tokens", "24", "--json");
            assertEquals(0, run.exitCode(), run.err());
            JsonNode runs = new ObjectMapper().readTree(run.out()).get("runs");
            assertEquals(3, runs.size());
            for (JsonNode r : runs) {
                assertEquals(3, r.get("repeats").asInt(), r.toString());
                for (String time : new String[]{"prefill_ms", "decode_tokens_per_s"}) {
                    double median = r.get(time).asDouble();
                    assertTrue(median > 0, time + " " + r);
                    assertTrue(r.get(time + "_min").asDouble() <= median && median <= r.get(time + "_max").asDouble(),
                            time + ": min <= median <= max in " + r);
                }
            }
            assertEquals(runs.get(0).get("tokens"), runs.get(2).get("tokens"), "the same schedule, the same tokens");
            assertTrue(runs.get(0).get("tokens").size() > 4, "enough decode steps to time: " + runs.get(0));
            ratio = runs.get(0).get("decode_tokens_per_s").asDouble() / runs.get(2).get("decode_tokens_per_s").asDouble();
            if (ratio >= 0.8 && ratio <= 1.2) {
                return;
            }
        }
        throw new AssertionError("the first dense decode median is " + ratio + " times the second's, twice");
    }

    @Test
    void theTableShowsTheMedianWithTheRangeAndSaysSo() throws Exception {
        Path image = tmp.resolve("demo.png");
        ImageIO.write(DemoAssets.picture().toBufferedImage(), "png", image.toFile());
        CliRun run = CliRun.of("compare", "--model", DemoFixture.model().toString(), "--image", image.toString(),
                "--prompt", DemoAssets.QUESTION, "--schedules", "dense,fastv", "--repeats", "2",
                "--max-new-tokens", "4");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("median (min–max) of 2 timed runs"), run.out());
        String dense = run.out().lines().filter(l -> l.startsWith("dense ")).findFirst().orElseThrow();
        assertTrue(dense.matches(".*\\d\\.\\d\u00a0\\(\\d+\\.\\d–\\d+\\.\\d\\).*"), dense);
        CliRun bad = CliRun.of("compare", "--model", DemoFixture.model().toString(), "--repeats", "0");
        assertEquals(Mod4j.EXIT_BAD_INPUT, bad.exitCode());
        assertTrue(bad.err().contains("--repeats") && bad.err().lines().count() == 1, bad.err());
    }
}
