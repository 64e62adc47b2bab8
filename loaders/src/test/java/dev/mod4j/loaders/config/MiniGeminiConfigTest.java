package dev.mod4j.loaders.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static dev.mod4j.loaders.MessageAssertions.assertMentions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Mini-Gemini's fields as MGM's HD training script writes them (stage_2_full_v7b_672_hr_1536.sh), and their errors. */
class MiniGeminiConfigTest {
    private static final String AUX = "\"mm_vision_tower_aux\": \"model_zoo/OpenAI/"
            + "openclip-convnext-large-d-320-laion2B-s29B-b131K-ft-soup\"";

    @TempDir
    Path dir;

    private ModelConfig config(String modelType, String fields) throws Exception {
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"" + modelType + "\", \"num_hidden_layers\": 4,"
                + " \"mm_vision_tower\": \"openai/clip-vit-large-patch14-336\", \"mm_projector_type\": \"mlp2x_gelu\""
                + (fields.isEmpty() ? "" : ", " + fields) + "}");
        return ModelConfig.load(dir, null, new HubCache(dir.resolve("no-cache")));
    }

    @Test
    void hdFieldsGiveFiveViewsAndTheAuxiliarySide() throws Exception {
        MiniGeminiConfig mgm = MiniGeminiConfig.read(config("mod_mgm", AUX + ", \"image_size_aux\": 1536,"
                + " \"image_grid\": 2, \"image_global\": true"));
        assertEquals(new MiniGeminiConfig("model_zoo/OpenAI/openclip-convnext-large-d-320-laion2B-s29B-b131K-ft-soup",
                1536, 2, true), mgm);
        assertEquals(5, mgm.views());
        // initialize_uni_modules' defaults: image_size_aux 320; encode_images': image_grid 1, no global view.
        assertEquals(new MiniGeminiConfig(mgm.visionTowerAux(), 320, 1, false),
                MiniGeminiConfig.read(config("mgm", AUX)));
        assertNull(MiniGeminiConfig.read(config("mod_llava_llama", "")));
    }

    @Test
    void aMiniGeminiModelTypeWithoutItsAuxiliaryTowerIsRefusedRatherThanRunAsPlainLlava() {
        assertMentions(assertThrows(ConfigException.class, () -> config("mod_mgm", "")).getMessage(),
                "mm_vision_tower_aux", "is missing", "Mini-Gemini");
    }

    @Test
    void errorsNameTheField() {
        assertMentions(assertThrows(ConfigException.class, () -> config("mod_mgm",
                "\"mm_vision_tower_aux\": \"eva-clip\"")).getMessage(), "mm_vision_tower_aux", "not supported");
        assertMentions(assertThrows(ConfigException.class, () -> config("mod_mgm", AUX + ", \"image_global\": true"))
                .getMessage(), "image_global", "image_grid 1");
        assertMentions(assertThrows(ConfigException.class, () -> config("mod_mgm", AUX + ", \"image_grid\": 0"))
                .getMessage(), "image_grid", "positive");
        assertMentions(assertThrows(ConfigException.class, () -> config("mod_mgm", AUX + ", \"image_size_aux\": 99999"))
                .getMessage(), "image_size_aux", "over the limit");
    }
}
