package dev.mod4j.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The JSON Schemas of mod4j's machine outputs (docs/schemas/NAME.schema.json), checked with networknt's
 * json-schema-validator (draft 2020-12).
 */
public final class JsonSchemas {
    /** Where the schemas live, from the tests module's working directory. */
    public static final Path FOLDER = Path.of("..", "docs", "schemas").toAbsolutePath().normalize();

    private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);

    private JsonSchemas() {
    }

    public static Schema schema(String name) {
        try (InputStream in = Files.newInputStream(FOLDER.resolve(name + ".schema.json"))) {
            return REGISTRY.getSchema(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The schema's complaints about {@code document}, one line each. */
    public static List<String> errors(String name, JsonNode document) {
        return schema(name).validate(document).stream().map(Error::toString).toList();
    }

    public static void assertValid(String name, JsonNode document) {
        List<String> errors = errors(name, document);
        assertTrue(errors.isEmpty(), name + ".schema.json rejects the output:\n"
                + errors.stream().collect(Collectors.joining("\n")) + "\n" + document.toPrettyString());
    }
}
