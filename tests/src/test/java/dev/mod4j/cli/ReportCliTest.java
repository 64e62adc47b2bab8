package dev.mod4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mod4j.report.DemoFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.mod4j.loaders.MessageAssertions.assertMentions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code compare --report} and {@code demo}: the report beside the printed table, with the same numbers. */
class ReportCliTest {
    @TempDir
    Path tmp;

    @Test
    void compareReportShowsTheNumbersThePrintedTableShows() throws Exception {
        Path model = CliTest.golden("llava-original-f32");
        Path report = tmp.resolve("report");
        CliRun run = CliRun.of("compare", "--model", model.toString(), "--input-ids", CompareCliTest.IDS,
                "--pixel-values", model.resolve("pixel_values.npy").toString(), "--schedules",
                "dense,fastv,pdrop:layers=2,4;ratios=0.5,0.25", "--max-new-tokens", "4", "--report", report.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertMentions(run.out(), "report: ", "index.html");
        assertEquals("", run.err(), "nothing on stderr on success");
        String html = Files.readString(report.resolve("index.html"));
        Matcher rows = Pattern.compile("<tr><td class=\"spec\">(.*?)</tr>", Pattern.DOTALL).matcher(html);
        int checked = 0;
        while (rows.find()) {
            List<String> cells = Pattern.compile("<td class=\"num\">(.*?)</td>").matcher(rows.group(1)).results()
                    .map(m -> m.group(1)).toList();
            String schedule = rows.group(1).replaceAll("<span[^>]*></span>", "").replaceAll("</td>.*", "");
            String line = run.out().lines().filter(l -> l.startsWith(schedule + " ")).findFirst().orElseThrow(
                    () -> new AssertionError("no printed row for " + schedule + " in\n" + run.out()));
            // agree, diff@, prefill ms, decode t/s, MACs, KV bytes, KV ratio: printed exactly so.
            String[] t = line.substring(35).trim().split("\\s+");
            List<String> printed = List.of(t[0], t[1], t[2], t[3], t[4], t[5] + " " + t[6], t[7]);
            assertEquals(printed, cells, line);
            checked++;
        }
        assertEquals(3, checked);
        assertTrue(Files.size(report.resolve("trace.arrow")) > 0);
        assertTrue(Files.exists(report.resolve("strip-3-pdrop.png")), "the golden model's image is an 8×8 grid");
    }

    @Test
    void compareReportTakesAnImageFile() throws Exception {
        Path model = CliTest.golden("llava-original-f32");
        Path report = tmp.resolve("image-report");
        CliRun run = CliRun.of("compare", "--model", model.toString(), "--input-ids", CompareCliTest.IDS,
                "--image", model.resolve("image.png").toString(), "--schedules", "dense,fastv", "--max-new-tokens",
                "2", "--report", report.toString());
        assertEquals(0, run.exitCode(), run.err());
        for (String file : List.of("index.html", "input.png", "strip-1-dense.png", "strip-2-fastv.png")) {
            assertTrue(Files.isRegularFile(report.resolve(file)), file);
        }
    }

    @Test
    void demoRunsTheTrainedModelPrintsAnswersAndAccuracyAndWritesTheReport() throws Exception {
        Path report = tmp.resolve("demo-report");
        CliRun run = CliRun.of("demo", "--cache-dir", DemoFixture.cacheRoot().toString(), "--report-dir",
                report.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertMentions(run.out(), "TRAINED on Shapes VQA, a toy task", "PyTorch's test accuracy", "expected answer: ",
                "dense", "fastv:k=2;r=0.5", "pdrop:", "answers:", "questions of the test split under each schedule",
                "accuracy", "agrees w/ dense", "report: file:", "index.html", "llava-hf/llava-1.5-7b-hf", "--model");
        // The demo asks the first test question; PyTorch's own answer to it is in the trained model's golden file.
        JsonNode first = new ObjectMapper().readTree(ReportCliTest.class.getResource(
                "/golden/shapes-llava/golden.json")).get("samples").get(0);
        String dense = run.out().lines().filter(l -> l.startsWith("  dense ")).findFirst().orElseThrow();
        String[] words = dense.trim().split("\\s+");
        assertEquals(first.get("greedy_text").asText(), words[1], dense);
        assertEquals(first.get("greedy_text").asText().equals(first.get("answer").asText()) ? "right" : "wrong",
                words[2], dense);
        assertTrue(Files.isRegularFile(report.resolve("index.html")));
        assertTrue(Files.readString(report.resolve("index.html")).contains("toy task"));
    }
}
