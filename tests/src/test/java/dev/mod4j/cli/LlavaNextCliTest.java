package dev.mod4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** generate and compare on the LLaVA-NeXT goldens (generate_next_golden.py) from a PNG, through the CLI. */
class LlavaNextCliTest {
    private static Path next(String part) throws Exception {
        return Path.of(LlavaNextCliTest.class.getResource("/golden/next/summary.json").toURI()).getParent()
                .resolve(part);
    }

    private static String ids(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).map(JsonNode::asText)
                .collect(Collectors.joining(","));
    }

    @ParameterizedTest
    @ValueSource(strings = {"llava-next-hf", "llava-next-original"})
    void generateFromAPngGivesTheReferenceIds(String layout) throws Exception {
        JsonNode g = new ObjectMapper().readTree(next(layout).resolve("rounding-47x376/golden.json").toFile());
        CliRun run = CliRun.of("generate", "--model", next(layout).toString(), "--image",
                next("images/rounding-47x376.png").toString(), "--input-ids", ids(g.get("input_ids")), "--greedy",
                "--max-new-tokens", "8", "--print-ids", "--stats");
        assertEquals(0, run.exitCode(), run.err());
        assertEquals(ids(g.get("greedy_new_tokens")), run.out().trim());
        assertTrue(run.err().contains("prompt " + g.get("prompt_length").asInt() + " positions ("
                + g.get("image_rows").asInt() + " image rows)"), run.err());
    }

    /**
     * compare on a NeXT model: the variable image-row count (268 for the 4:3 image) drives FastV's and PyramidDrop's
     * keep counts; the report draws the kept patches on the base view and the tile grid.
     */
    @ParameterizedTest
    @ValueSource(strings = {"llava-next-original"})
    void compareAndItsReportOnANextModel(String layout, @org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        JsonNode g = new ObjectMapper().readTree(next(layout).resolve("photo-200x150/golden.json").toFile());
        CliRun run = CliRun.of("compare", "--model", next(layout).toString(), "--image",
                next("images/photo-200x150.png").toString(), "--input-ids", ids(g.get("input_ids")),
                "--schedules", "dense,fastv:k=2;r=0.5,pdrop:layers=1,2,3;ratios=0.5,0.25,0.125", "--max-new-tokens",
                "4", "--repeats", "1", "--report", tmp.resolve("report").toString());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("280 positions (268 image tokens)"), run.out());
        assertTrue(run.out().contains("268×2 134×2"), run.out());
        assertTrue(run.out().contains("268 134 67 33"), run.out());
        assertTrue(java.nio.file.Files.exists(tmp.resolve("report/index.html")), run.err());
        // One strip per schedule, drawn on the base view and tile grid (TiledPatchStripsTest checks the cells).
        try (var files = java.nio.file.Files.list(tmp.resolve("report"))) {
            assertEquals(3, files.filter(f -> f.getFileName().toString().startsWith("strip-")).count());
        }
        assertTrue(java.nio.file.Files.readString(tmp.resolve("report/index.html")).contains("the tile grid"));
    }
}
