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
            assertEquals(4, schemas.size(), schemas.toString());
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
