package dev.mod4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static dev.mod4j.loaders.MessageAssertions.assertMentions;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A schedule method defined outside mod4j (org.example.userschedule.KeepFirstImages, registered through this
 * module's META-INF/services) runs from the CLI by name, like the built-in ones.
 */
class UserScheduleCliTest {
    static final String IDS = CompareCliTest.IDS;

    @Test
    void aMethodOnTheClassPathRunsFromCompareByName() throws Exception {
        Path model = CliTest.golden("llava-original-f32");
        CliRun run = CliRun.of("compare", "--model", model.toString(), "--input-ids", IDS, "--pixel-values",
                model.resolve("pixel_values.npy").toString(), "--schedules", "dense,keepfirst:keep=0.25",
                "--max-new-tokens", "2", "--json");
        assertEquals(0, run.exitCode(), run.err());
        JsonNode runs = new ObjectMapper().readTree(run.out()).get("runs");
        assertEquals(2, runs.size());
        assertEquals("keepfirst:keep=0.25;after=1", runs.get(1).get("schedule").asText(), "the canonical spec");
        // round(64 · 0.25) = 16 image tokens from 0-based layer 1 on.
        assertEquals("[64,16,16,16,16,16]", runs.get(1).get("image_tokens_per_layer").toString());
    }

    @Test
    void itIsInTheDefaultComparisonTableAndTheHelp() throws Exception {
        Path model = CliTest.golden("llava-original-f32");
        CliRun table = CliRun.of("compare", "--model", model.toString(), "--input-ids", IDS, "--pixel-values",
                model.resolve("pixel_values.npy").toString(), "--max-new-tokens", "2");
        assertEquals(0, table.exitCode(), table.err());
        assertMentions(table.out(), "keepfirst:keep=0.5;after=1", "fastv:k=2;r=0.5");

        CliRun help = CliRun.of("compare", "--help");
        assertMentions(help.out(), "Schedule methods", "keepfirst: after layer AFTER, keep the first image tokens",
                "keep  fraction of image tokens kept; [0, 1]; default 0.5", "pdrop: ", "ratios  ");
        assertMentions(CliRun.of("generate", "--help").out(), "keepfirst: ", "gmod: ");
    }

    @Test
    void itsBadValuesAreReportedLikeABuiltInsNamingTheFlag() throws Exception {
        Path model = CliTest.golden("llava-original-f32");
        CliRun run = CliRun.of("generate", "--model", model.toString(), "--input-ids", IDS, "--pixel-values",
                model.resolve("pixel_values.npy").toString(), "--schedule", "keepfirst:keep=2");
        CliTest.assertBadInput(run, "--schedule: keepfirst: keep=2 must be in [0.0, 1.0]", "valid keys: keep (");
    }
}
