package dev.mod4j.loaders.config;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;

/**
 * γ-MoD's settings in a checkpoint's {@code config.json}, the {@code mod} object of {@code mod_llava_llama}
 * models: which decoder layers route their tokens.
 *
 * @param modLayersIdx {@code mod.mod_layers_idx}, the MoD layers (0-based, ascending as written); empty when absent
 * @param modMode      {@code mod.mod_mode}, the named layer choice ({@code arank_mod}, ...); null when absent
 */
public record GammaModConfig(List<Integer> modLayersIdx, String modMode) {

    public GammaModConfig {
        modLayersIdx = List.copyOf(modLayersIdx);
    }

    /** The {@code mod} object of {@code config}; without one, no layers and no mode. */
    public static GammaModConfig read(ModelConfig config) {
        JsonNode node = config.extraFields().get("mod");
        if (node == null || node.isNull()) {
            return new GammaModConfig(List.of(), null);
        }
        ConfigObject mod = ConfigObject.of(config.file().toString(), "mod", node);
        List<Integer> layers = mod.intList("mod_layers_idx", List.of());
        int count = config.text().numHiddenLayers();
        for (int i = 0; i < layers.size(); i++) {
            if (layers.get(i) < 0 || layers.get(i) >= count) {
                throw new ConfigException(mod.where("mod_layers_idx") + "[" + i + "]", "layer " + layers.get(i)
                        + " is outside the model's layers 0.." + (count - 1));
            }
        }
        return new GammaModConfig(layers, mod.string("mod_mode", null));
    }
}
