package dev.mod4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mod4j.schema.JsonSchemas;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every JSON that a command prints or writes validates against its schema in docs/schemas, and its keys are
 * snake_case (results.json is checked in EvalCliTest, where eval writes one).
 */
class JsonOutputSchemasTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Pattern SNAKE_CASE = Pattern.compile("[a-z][a-z0-9]*(_[a-z0-9]+)*");

    @TempDir
    Path tmp;

    @Test
    void inspectJsonValidatesForLlamaLlavaAndPytorchCheckpoints() throws Exception {
        Path llava = CliTest.golden("llava-original-f32");
        for (Path model : List.of(CliTest.golden("llama-tied-rope-f32"), llava,
                llava.resolveSibling("llava-original-pytorch"))) {
            CliRun run = CliRun.of("inspect", "--model", model.toString(), "--json");
            assertEquals(0, run.exitCode(), run.err());
            JsonNode summary = JSON.readTree(run.out());
            JsonSchemas.assertValid("inspect", summary);
            // dtypes are keyed by dtype name (F32, BF16), the data's own spelling.
            assertSnakeCase(summary, "dtypes");
        }
    }

    @Test
    void compareJsonAndItsJsonTraceValidateUnderBothUnitsOfFlopsConventions() throws Exception {
        Path model = CliTest.golden("llava-original-f32");
        for (String convention : new String[]{"exact", "gamma_mod"}) {
            Path trace = tmp.resolve("trace-" + convention + ".json");
            CliRun run = CliRun.of("compare", "--model", model.toString(), "--input-ids", CompareCliTest.IDS,
                    "--pixel-values", model.resolve("pixel_values.npy").toString(), "--schedules",
                    "dense,fastv,pdrop:layers=2,4;ratios=0.5,0.25", "--max-new-tokens", "3", "--flops", convention,
                    "--json", "--trace-out", trace.toString());
            assertEquals(0, run.exitCode(), run.err());
            JsonNode comparison = JSON.readTree(run.out());
            JsonSchemas.assertValid("compare", comparison);
            assertSnakeCase(comparison);
            String unit = convention.equals("exact") ? "macs" : "flops";
            assertTrue(comparison.get("runs").get(0).has("convention_prefill_" + unit), comparison.toString());
            JsonNode traces = JSON.readTree(Files.readString(trace));
            JsonSchemas.assertValid("trace", traces);
            traces.forEach(records -> assertSnakeCase(records));
        }
    }

    /** The bench commands on their smallest settings: the random models are written to a temporary cache. */
    @Test
    void benchJsonValidatesOnTheTinyShape() throws Exception {
        CliRun run = CliRun.of("bench", "--shape", "tiny", "--dtypes", "Q8_0", "--load", "copy",
                "--prompt-tokens", "8", "--decode-tokens", "4", "--repeats", "1", "--cache-dir",
                tmp.toString(), "--json");
        assertEquals(0, run.exitCode(), run.err());
        assertEquals("", run.err());
        JsonNode bench = JSON.readTree(run.out());
        JsonSchemas.assertValid("bench", bench);
        assertSnakeCase(bench);
        assertEquals(1, bench.get("runs").size(), bench.toString());
        assertEquals("Q8_0", bench.get("runs").get(0).get("dtype").asText());
    }

    /** {@code bench --alternate}: each round's decode speeds and the same-round ratios, one per configuration. */
    @Test
    void benchAlternateJsonHasEveryRoundAndRatio() throws Exception {
        CliRun run = CliRun.of("bench", "--shape", "tiny", "--dtypes", "BF16,Q8_0", "--load", "copy",
                "--prompt-tokens", "8", "--decode-tokens", "4", "--repeats", "1", "--alternate", "3", "--cache-dir",
                tmp.toString(), "--json");
        assertEquals(0, run.exitCode(), run.err());
        JsonNode bench = JSON.readTree(run.out());
        JsonSchemas.assertValid("bench", bench);
        assertSnakeCase(bench);
        JsonNode alternating = bench.get("alternating");
        assertEquals(2, alternating.get("configurations").size(), alternating.toString());
        assertEquals("Q8_0", alternating.get("configurations").get(1).get("dtype").asText());
        assertEquals(3, alternating.get("decode_tokens_per_s").size());
        double[] ratios = new double[3];
        for (int round = 0; round < 3; round++) {
            JsonNode speeds = alternating.get("decode_tokens_per_s").get(round);
            assertEquals(2, speeds.size());
            assertTrue(speeds.get(0).asDouble() > 0 && speeds.get(1).asDouble() > 0, speeds.toString());
            ratios[round] = speeds.get(1).asDouble() / speeds.get(0).asDouble();
        }
        java.util.Arrays.sort(ratios);
        assertEquals(1.0, alternating.get("median_ratio_to_first").get(0).asDouble());
        assertEquals(ratios[1], alternating.get("median_ratio_to_first").get(1).asDouble(), 1e-12);

        CliRun one = CliRun.of("bench", "--shape", "tiny", "--dtypes", "Q8_0", "--load", "mmap,copy",
                "--alternate", "2", "--cache-dir", tmp.toString());
        assertEquals(2, one.exitCode(), one.err());
        assertEquals("mod4j: --alternate: needs at least 2 configurations (--dtypes times --load; Q8_0 is one,"
                + " mapped), got 1", one.err().strip());
    }

    @Test
    void benchSchedulesJsonValidatesOnTheTinyShape() throws Exception {
        CliRun run = CliRun.of("bench-schedules", "--shape", "tiny", "--layers", "4", "--image-tokens", "16",
                "--repeats", "2", "--cache-dir", tmp.toString(), "--json");
        assertEquals(0, run.exitCode(), run.err());
        assertEquals("", run.err());
        JsonNode bench = JSON.readTree(run.out());
        JsonSchemas.assertValid("bench-schedules", bench);
        assertSnakeCase(bench);
        JsonNode dense = bench.get("schedules").get(0);
        assertEquals("dense", dense.get("schedule").asText());
        assertEquals(1.0, dense.get("time_ratio_to_dense").asDouble(), 1e-12, "dense against itself, each round");
        assertEquals(1.0, dense.get("prefill_macs_ratio_to_dense").asDouble(), 1e-12);
        assertEquals(2, bench.get("rounds").asInt());
    }

    @Test
    void benchVisionJsonValidatesOnTwoLayersOfTheTower() throws Exception {
        CliRun run = CliRun.of("bench-vision", "--layers", "2", "--repeats", "1", "--json");
        assertEquals(0, run.exitCode(), run.err());
        assertEquals("", run.err());
        JsonNode bench = JSON.readTree(run.out());
        JsonSchemas.assertValid("bench-vision", bench);
        assertSnakeCase(bench);
        assertEquals(1, bench.get("layers_run").asInt(), "LLaVA's hidden state -2: all layers but the last");
        assertEquals(577, bench.get("tokens_per_crop").asInt());
    }

    @Test
    void theSchemasRejectTheOldCamelCaseKeysAndAMissingUnit() throws Exception {
        CliRun run = CliRun.of("inspect", "--model", CliTest.golden("llama-tied-rope-f32").toString(), "--json");
        ObjectNode summary = (ObjectNode) JSON.readTree(run.out());
        ObjectNode dims = (ObjectNode) summary.get("dimensions");
        dims.set("keyValueHeads", dims.remove("key_value_heads"));
        assertFalse(JsonSchemas.errors("inspect", summary).isEmpty(), "camelCase key accepted");

        Path model = CliTest.golden("llava-original-f32");
        CliRun compare = CliRun.of("compare", "--model", model.toString(), "--input-ids", CompareCliTest.IDS,
                "--pixel-values", model.resolve("pixel_values.npy").toString(), "--schedules", "dense",
                "--max-new-tokens", "2", "--json");
        ObjectNode first = (ObjectNode) JSON.readTree(compare.out()).get("runs").get(0);
        ObjectNode unitless = first.deepCopy();
        unitless.set("prefill_flops", unitless.remove("convention_prefill_macs"));
        ObjectNode wrapped = JSON.createObjectNode();
        wrapped.putArray("runs").add(unitless);
        wrapped.putArray("skipped");
        wrapped.put("backend", "cpu");
        assertFalse(JsonSchemas.errors("compare", wrapped).isEmpty(), "a count without its unit accepted");
    }

    @Test
    void everySchemaIsValidJsonOfDraft2020_12() throws Exception {
        try (Stream<Path> files = Files.list(JsonSchemas.FOLDER)) {
            List<Path> schemas = files.filter(f -> f.toString().endsWith(".schema.json")).toList();
            assertEquals(7, schemas.size(), schemas.toString());
            for (Path schema : schemas) {
                JsonNode node = JSON.readTree(schema.toFile());
                assertEquals("https://json-schema.org/draft/2020-12/schema", node.get("$schema").asText(), schema.toString());
                JsonSchemas.schema(schema.getFileName().toString().replace(".schema.json", ""));
            }
        }
    }

    /** Every object key below {@code node} is snake_case, except the keys of the objects named in {@code dataKeyed}. */
    static void assertSnakeCase(JsonNode node, String... dataKeyed) {
        if (node.isArray()) {
            node.forEach(child -> assertSnakeCase(child, dataKeyed));
        } else if (node.isObject()) {
            for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
                String key = it.next();
                assertTrue(SNAKE_CASE.matcher(key).matches(), "not snake_case: " + key);
                if (!List.of(dataKeyed).contains(key)) {
                    assertSnakeCase(node.get(key), dataKeyed);
                }
            }
        }
    }
}
