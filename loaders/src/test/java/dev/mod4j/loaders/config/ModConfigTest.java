package dev.mod4j.loaders.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.mod4j.loaders.MessageAssertions.assertMentions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** γ-MoD's and p-MoD's config.json fields, read into records with errors naming the file and the field. */
class ModConfigTest {
    @TempDir
    Path dir;

    private ModelConfig config(String extraFields) throws Exception {
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"llama\", \"num_hidden_layers\": 8"
                + (extraFields.isEmpty() ? "" : ", " + extraFields) + "}");
        return ModelConfig.load(dir);
    }

    @Test
    void gammaModReadsTheModObject() throws Exception {
        GammaModConfig c = GammaModConfig.read(config("\"mod\": {\"mod_mode\": \"arank_mod\", \"mod_layers_idx\":"
                + " [3, 4, 6], \"capacity_factor\": 0.5}"));
        assertEquals(List.of(3, 4, 6), c.modLayersIdx());
        assertEquals("arank_mod", c.modMode());
        GammaModConfig none = GammaModConfig.read(config(""));
        assertEquals(List.of(), none.modLayersIdx());
        assertNull(none.modMode());
    }

    @Test
    void gammaModRefusesLayersTheModelDoesNotHave() throws Exception {
        ModelConfig outside = config("\"mod\": {\"mod_layers_idx\": [3, 8]}");
        assertMentions(assertThrows(ConfigException.class, () -> GammaModConfig.read(outside)).getMessage(),
                "config.json: mod.mod_layers_idx[1]", "layer 8 is outside the model's layers 0..7");
        ModelConfig text = config("\"mod\": {\"mod_layers_idx\": [3, \"x\"]}");
        assertMentions(assertThrows(ConfigException.class, () -> GammaModConfig.read(text)).getMessage(),
                "config.json: mod.mod_layers_idx[1]", "expected an integer");
        ModelConfig notObject = config("\"mod\": 3");
        assertMentions(assertThrows(ConfigException.class, () -> GammaModConfig.read(notObject)).getMessage(),
                "config.json", "mod: expected a JSON object");
    }

    @Test
    void pModReadsTheDecayAndTanhNormWithTheReleasedValuesAsDefaults() throws Exception {
        assertEquals(new PModConfig("shiftedcos", 0.85, 0.15, 0.5, 0.2, 1), PModConfig.read(config("")));
        assertEquals(new PModConfig("shiftedlinear", 0.9, 0.1, 0.4, 0.3, 0.9), PModConfig.read(config(
                "\"mod_target_layers\": \"shiftedlinear_decay_0.9_0.1\", \"mod_router_factor\": 0.4,"
                        + " \"mod_weight_norm\": \"tanh_0.3_0.9\"")));
    }

    @Test
    void pModErrorsNameTheFileAndTheField() throws Exception {
        ModelConfig legacy = config("\"mod_target_layers\": \"deep_all\"");
        assertMentions(assertThrows(ConfigException.class, () -> PModConfig.read(legacy)).getMessage(),
                "config.json: mod_target_layers", "shiftedcos_decay_0.85_0.15", "'deep_all'");
        ModelConfig curve = config("\"mod_target_layers\": \"cosine_decay_0.85_0.15\"");
        assertMentions(assertThrows(ConfigException.class, () -> PModConfig.read(curve)).getMessage(),
                "config.json: mod_target_layers", "unknown decay type 'cosine'");
        ModelConfig factor = config("\"mod_router_factor\": \"half\"");
        assertMentions(assertThrows(ConfigException.class, () -> PModConfig.read(factor)).getMessage(),
                "config.json: mod_router_factor", "expected a number");
        ModelConfig norm = config("\"mod_weight_norm\": \"sigmoid\"");
        assertMentions(assertThrows(ConfigException.class, () -> PModConfig.read(norm)).getMessage(),
                "config.json: mod_weight_norm", "'sigmoid' is not supported", "tanh_<scale>_<offset>");
    }
}
