package dev.mod4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mod4j.schema.JsonSchemas;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code inspect} on the tiny γ-MoD LLaVA-HR of the goldens names the architecture, both encoders, 1024 tokens. */
class LlavaHrCliTest {
    @Test
    void inspectNamesTheArchitectureBothEncodersTheImageTokensAndTheModLayers() throws Exception {
        Path model = Path.of(LlavaHrCliTest.class.getResource("/golden/llava-hr/model/config.json").toURI())
                .getParent();
        CliRun run = CliRun.of("inspect", "--model", model.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("arch        LLaVA-HR"), run.out());
        assertTrue(run.out().contains("encoder     slow: ConvNeXt convnext_large_mlp.clip_laion2b_ft_320, depths"
                + " [1, 1, 2, 1], widths [8, 12, 16, 24], at 1024 px -> 32x32 x 24"), run.out());
        assertTrue(run.out().contains("encoder     fast: CLIP 8 layers, hidden 32, at 448 px (positions 24x24 ->"
                + " 32x32, bicubic)"), run.out());
        assertTrue(run.out().contains("image       1024 image tokens"), run.out());
        assertTrue(run.out().contains("mod layers  [1, 2, 3]"), run.out());
        assertEquals("", run.err());

        CliRun json = CliRun.of("inspect", "--model", model.toString(), "--json");
        assertEquals(0, json.exitCode(), json.err());
        JsonNode summary = new ObjectMapper().readTree(json.out());
        JsonSchemas.assertValid("inspect", summary);
        assertTrue(summary.get("architecture").get("name").asText().startsWith("LLaVA-HR ("), summary.toString());
        assertEquals(1024, summary.get("architecture").get("image_tokens").asInt());
        assertEquals("[1,2,3]", summary.get("architecture").get("mod_layers").toString());
    }
}
