package dev.mod4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static dev.mod4j.loaders.MessageAssertions.assertMentions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** compare and the trace files, end to end on the LLaVA golden model. */
class CompareCliTest {
    @TempDir
    Path tmp;

    static final String IDS = "1,188,196,278,268,304,-200,142,126,240,70,262,201";

    @Test
    void compareReportsEachScheduleAndWritesAReadableArrowTrace() throws Exception {
        Path model = CliTest.golden("llava-original-f32");
        Path trace = tmp.resolve("trace.arrow");
        CliRun run = CliRun.of("compare", "--model", model.toString(), "--input-ids", IDS, "--pixel-values",
                model.resolve("pixel_values.npy").toString(), "--schedules", "dense,fastv,pdrop:layers=2,4;ratios=0.5,0.25",
                "--max-new-tokens", "8", "--json", "--trace-out", trace.toString());
        assertEquals(0, run.exitCode(), run.err());
        JsonNode runs = new ObjectMapper().readTree(run.out()).get("runs");
        assertEquals(3, runs.size());
        assertEquals("dense", runs.get(0).get("schedule").asText());
        assertEquals(1.0, runs.get(0).get("agreement").asDouble());
        assertEquals("[64,64,64,64,64,64]", runs.get(0).get("image_tokens_per_layer").toString());
        assertEquals("[64,64,32,32,32,32]", runs.get(1).get("image_tokens_per_layer").toString());
        assertEquals("[64,64,32,32,16,16]", runs.get(2).get("image_tokens_per_layer").toString());
        assertTrue(runs.get(2).get("prefill_macs").asLong() < runs.get(0).get("prefill_macs").asLong());
        assertTrue(runs.get(2).get("kv_cache_bytes").asLong() < runs.get(0).get("kv_cache_bytes").asLong());
        // Dense greedy tokens are the PyTorch reference's.
        assertEquals("[254,358,352,191,195,16,16,16]", runs.get(0).get("tokens").toString());

        Map<String, Integer> processedPerSchedule = new HashMap<>();
        try (var allocator = new RootAllocator(); var channel = FileChannel.open(trace);
             var reader = new ArrowFileReader(channel, allocator)) {
            while (reader.loadNextBatch()) {
                VectorSchemaRoot root = reader.getVectorSchemaRoot();
                VarCharVector schedule = (VarCharVector) root.getVector("schedule");
                IntVector layer = (IntVector) root.getVector("layer");
                IntVector step = (IntVector) root.getVector("step");
                var processed = (org.apache.arrow.vector.BitVector) root.getVector("processed");
                for (int i = 0; i < root.getRowCount(); i++) {
                    if (step.get(i) == 0 && layer.get(i) == 5 && processed.get(i) == 1) {
                        processedPerSchedule.merge(new String(schedule.get(i)), 1, Integer::sum);
                    }
                }
            }
        }
        assertEquals(76, processedPerSchedule.get("dense"));
        assertEquals(12 + 32, processedPerSchedule.get("fastv:k=2;r=0.5"));
        assertEquals(12 + 16, processedPerSchedule.get("pdrop:layers=2,4;ratios=0.5,0.25"));
    }

    @Test
    void badScheduleSpecIsABadInputError() throws Exception {
        Path model = CliTest.golden("llava-original-f32");
        CliRun run = CliRun.of("generate", "--model", model.toString(), "--input-ids", IDS, "--pixel-values",
                model.resolve("pixel_values.npy").toString(), "--schedule", "pdrop:ratio=0.5");
        CliTest.assertBadInput(run, "--schedule", "unknown key 'ratio'", "valid keys");
        CliRun noRouters = CliRun.of("compare", "--model", model.toString(), "--input-ids", IDS, "--pixel-values",
                model.resolve("pixel_values.npy").toString(), "--schedules", "dense,gmod");
        CliTest.assertBadInput(noRouters, "γ-MoD router tensors");
        CliRun defaults = CliRun.of("compare", "--model", model.toString(), "--input-ids", IDS, "--pixel-values",
                model.resolve("pixel_values.npy").toString(), "--max-new-tokens", "2");
        assertEquals(0, defaults.exitCode(), defaults.err());
        assertMentions(defaults.out(), "skipped: gmod (no router tensors", "skipped: pmod", "fastv:k=2;r=0.5");
    }
}
