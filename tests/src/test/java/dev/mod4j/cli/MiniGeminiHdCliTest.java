package dev.mod4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mod4j.schema.JsonSchemas;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code inspect} on the tiny γ-MoD Mini-Gemini-HD of the goldens names the architecture, both encoders, 2880 tokens. */
class MiniGeminiHdCliTest {
    @Test
    void inspectNamesTheArchitectureBothEncodersTheImageTokensAndTheModLayers() throws Exception {
        Path model = Path.of(MiniGeminiHdCliTest.class.getResource("/golden/mgm-hd/model/config.json").toURI())
                .getParent();
        CliRun run = CliRun.of("inspect", "--model", model.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("arch        Mini-Gemini-HD (CLIP low-res views + ConvNeXt high-res, patch info"
                + " mining), γ-MoD"), run.out());
        assertTrue(run.out().contains("encoder     low-res: CLIP 8 layers, hidden 32, at 336 px over 2x2 tiles of a"
                + " 672 px image + a global view -> 5 x 576 rows, hidden state -2"), run.out());
        assertTrue(run.out().contains("encoder     high-res: ConvNeXt (model_zoo/OpenAI/openclip-convnext-large-d-320-"
                + "laion2B-s29B-b131K-ft-soup), depths [1, 1, 2, 1], widths [8, 12, 16, 24], at 768 px -> stages"
                + " resized to 192x192, 60 channels; patch info mining over 4x4 windows"), run.out());
        assertTrue(run.out().contains("image       2880 image tokens"), run.out());
        assertTrue(run.out().contains("mod layers  [1, 2, 3]"), run.out());
        assertTrue(run.out().contains("mini-gemini (towers embedded)"), run.out());
        assertEquals("", run.err());

        CliRun json = CliRun.of("inspect", "--model", model.toString(), "--json");
        assertEquals(0, json.exitCode(), json.err());
        JsonNode summary = new ObjectMapper().readTree(json.out());
        JsonSchemas.assertValid("inspect", summary);
        assertTrue(summary.get("architecture").get("name").asText().startsWith("Mini-Gemini-HD ("), summary.toString());
        assertEquals(2880, summary.get("architecture").get("image_tokens").asInt());
        assertEquals(2, summary.get("architecture").get("encoders").size());
        assertEquals("[1,2,3]", summary.get("architecture").get("mod_layers").toString());
    }
}
