package dev.mod4j.loaders.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static dev.mod4j.loaders.MessageAssertions.assertMentions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** LLaVA-HR's multipath fields (as γ-MoD's training script writes them); Mini-Gemini's: MiniGeminiConfigTest. */
class LlavaHrConfigTest {
    @TempDir
    Path dir;

    private ModelConfig config(String fields) throws Exception {
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"mod_llava_llama\", \"num_hidden_layers\": 4,"
                + " \"mm_vision_tower\": \"openai/clip-vit-large-patch14-336\", \"mm_projector_type\": \"mlp2x_gelu\""
                + (fields.isEmpty() ? "" : ", " + fields) + "}");
        return ModelConfig.load(dir, null, new HubCache(dir.resolve("no-cache")));
    }

    @Test
    void releasedFieldsGiveA1024PixelImageAndA448PixelFastBranch() throws Exception {
        LlavaHrConfig hr = LlavaHrConfig.read(config("\"is_multipath_encoder\": true, \"vision_tower_slow\":"
                + " \"convnext_large_mlp.clip_laion2b_ft_320\", \"input_image_size\": 1024, \"freeze_vision\": false"));
        assertEquals(new LlavaHrConfig("convnext_large_mlp.clip_laion2b_ft_320", 1024, true), hr);
        assertEquals(448, hr.fastImageSize());
        assertEquals(336, new LlavaHrConfig("convnext_large_mlp", 384, true).fastImageSize());
        assertNull(LlavaHrConfig.read(config("")));
    }

    @Test
    void errorsNameTheField() throws Exception {
        ModelConfig noSlow = config("\"is_multipath_encoder\": true");
        assertMentions(assertThrows(ConfigException.class, () -> LlavaHrConfig.read(noSlow)).getMessage(),
                "vision_tower_slow", "is missing");
        ModelConfig odd = config("\"is_multipath_encoder\": true, \"vision_tower_slow\": \"convnext_large_mlp\","
                + " \"input_image_size\": 1000");
        assertMentions(assertThrows(ConfigException.class, () -> LlavaHrConfig.read(odd)).getMessage(),
                "input_image_size", "not a multiple of 32");
        ModelConfig xxl = config("\"is_multipath_encoder\": true, \"vision_tower_slow\": \"convnext_xxlarge\"");
        assertMentions(assertThrows(ConfigException.class, () -> LlavaHrConfig.read(xxl)).getMessage(),
                "vision_tower_slow", "'convnext_xxlarge' is not supported");
    }
}
