package dev.mod4j.loaders.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.mod4j.loaders.FileLimit;
import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.SmallFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A model's configuration, read from its {@code config.json} (and, for the original LLaVA layout, from the
 * separate CLIP tower's config).
 *
 * @param vision              null for plain LLaMA, and for an original-layout LLaVA whose tower was not found
 * @param multimodal          null for plain LLaMA
 * @param visionTowerDirectory the original layout's CLIP checkpoint directory, when found; null otherwise
 * @param visionTowerLookup   the original layout's tower search: where it came from, every place looked; null for
 *                            other layouts
 * @param modelType           the {@code model_type} field as written ("llava", "llava_llama", "mod_llava_llama", ...)
 * @param extraFields         top-level fields mod4j did not interpret, kept verbatim (method settings among them)
 */
public record ModelConfig(ModelFamily family, String modelType, LlamaConfig text, ClipVisionConfig vision,
                          MultimodalConfig multimodal, Path visionTowerDirectory, Map<String, JsonNode> extraFields,
                          Path file, TowerLookup visionTowerLookup) {

    /** config.json files are kilobytes; anything this large is not one. */
    static final long MAX_CONFIG_BYTES = FileLimit.CONFIG.maxBytes();

    static final ObjectMapper JSON = JsonMapper.builder().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION).build();

    static {
        JSON.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build());
    }

    public boolean isMultimodal() {
        return family != ModelFamily.LLAMA;
    }

    /** Reads {@code dir/config.json}; for the original LLaVA layout, the tower is looked up as described in {@link #load(Path, Path)}. */
    public static ModelConfig load(Path modelDirectory) {
        return load(modelDirectory, null);
    }

    /**
     * Reads {@code dir/config.json}. For the original LLaVA layout the CLIP tower directory is
     * {@code visionTowerOverride} if given, else {@code mm_vision_tower} when it is a local directory (absolute, or
     * relative to the model directory), else the tower's snapshot in the local HuggingFace cache, if any.
     */
    public static ModelConfig load(Path modelDirectory, Path visionTowerOverride) {
        return load(modelDirectory, visionTowerOverride, HubCache.fromEnvironment());
    }

    /** As {@link #load(Path, Path)}, looking for hub ids in {@code hubCache}. */
    public static ModelConfig load(Path modelDirectory, Path visionTowerOverride, HubCache hubCache) {
        if (!Files.exists(modelDirectory)) {
            throw new ConfigException(modelDirectory.toString(), "no such model directory");
        }
        if (visionTowerOverride != null && !Files.isDirectory(visionTowerOverride)) {
            throw new ConfigException(visionTowerOverride.toString(), "vision tower directory not found");
        }
        Path file = Files.isDirectory(modelDirectory) ? modelDirectory.resolve("config.json") : modelDirectory;
        JsonNode root = readJson(file);
        String name = file.toString();
        ConfigObject top = ConfigObject.of(name, "", root);
        String modelType = top.string("model_type", null);
        List<String> architectures = readArchitectures(top);
        ModelFamily family = detectFamily(top, modelType, architectures, name);
        return switch (family) {
            case LLAMA -> new ModelConfig(family, modelType, LlamaConfig.read(top), null, null, null,
                    top.unreadFields(), file, null);
            case LLAVA_HF -> {
                ConfigObject textObject = top.object("text_config");
                String textType = textObject == null ? null : textObject.string("model_type", null);
                if (textType != null && !textType.equals("llama") && !LlamaConfig.isMistral(textType)) {
                    throw new ConfigException(textObject.where("model_type"), "'" + textType + "' is not supported:"
                            + " mod4j runs LLaMA-family language models (model_type llama or mistral)");
                }
                LlamaConfig text = LlamaConfig.read(textObject != null ? textObject
                        : ConfigObject.of(name, "text_config", JSON.createObjectNode()));
                ConfigObject visionObject = top.object("vision_config");
                ClipVisionConfig vision = visionObject != null ? ClipVisionConfig.read(visionObject)
                        : ClipVisionConfig.CLIP_VIT_L_14_336;
                MultimodalConfig mm = MultimodalConfig.readLlavaHf(top, vision.hiddenSize());
                yield new ModelConfig(family, modelType, text, vision, mm, null, top.unreadFields(), file, null);
            }
            case LLAVA_ORIGINAL -> {
                if (("mod_mgm".equals(modelType) || "mgm".equals(modelType)) && !top.has("mm_vision_tower_aux")) {
                    // Run as plain LLaVA it would see 576 of its 2880 image rows: a wrong answer, so refused.
                    throw new ConfigException(name + ": mm_vision_tower_aux", "is missing; a Mini-Gemini model"
                            + " (model_type " + modelType + ") names its auxiliary high-resolution tower there");
                }
                // Checked on a copy: the fields stay among the extra fields, where MiniGeminiConfig.read finds them.
                MiniGeminiConfig.read(ConfigObject.of(name, "", root.deepCopy()));
                LlamaConfig text = LlamaConfig.read(top);
                MultimodalConfig mm = MultimodalConfig.readOriginal(top);
                TowerLookup lookup = visionTowerOverride != null
                        ? new TowerLookup(visionTowerOverride, "given: " + visionTowerOverride, List.of())
                        : VisionTowerLocator.find(mm.visionTower(), file.toAbsolutePath().getParent(), hubCache);
                Path towerDir = lookup.directory();
                ClipVisionConfig vision = null;
                if (towerDir != null) {
                    vision = readClipTowerConfig(towerDir);
                    if (vision.hiddenSize() != mm.mmHiddenSize()) {
                        throw new ConfigException(name + ": mm_hidden_size", "is " + mm.mmHiddenSize()
                                + " but the vision tower in " + towerDir + " has hidden_size " + vision.hiddenSize());
                    }
                }
                yield new ModelConfig(family, modelType, text, vision, mm, towerDir, top.unreadFields(), file,
                        lookup);
            }
        };
    }

    /**
     * This config with the vision tower's config given from elsewhere (a tower embedded in the checkpoint whose own
     * config.json was not found), {@code origin} saying where it came from.
     */
    public ModelConfig withVision(ClipVisionConfig tower, String origin) {
        if (tower.hiddenSize() != multimodal.mmHiddenSize()) {
            throw new ConfigException(file + ": mm_hidden_size", "is " + multimodal.mmHiddenSize()
                    + " but the vision tower (" + origin + ") has hidden_size " + tower.hiddenSize());
        }
        TowerLookup lookup = new TowerLookup(null, origin, visionTowerLookup == null ? List.of()
                : visionTowerLookup.searched());
        return new ModelConfig(family, modelType, text, tower, multimodal, visionTowerDirectory, extraFields, file,
                lookup);
    }

    /** A CLIP checkpoint's config: a full {@code CLIPModel} config (vision part nested) or a vision-only one. */
    public static ClipVisionConfig readClipTowerConfig(Path towerDirectory) {
        Path file = Files.isDirectory(towerDirectory) ? towerDirectory.resolve("config.json") : towerDirectory;
        JsonNode root = readJson(file);
        ConfigObject top = ConfigObject.of(file.toString(), "", root);
        ConfigObject nested = top.object("vision_config");
        return ClipVisionConfig.read(nested != null ? nested : top);
    }

    static JsonNode readJson(Path file) {
        String text;
        try {
            text = SmallFiles.readText(file, MAX_CONFIG_BYTES);
        } catch (ConfigException e) {
            throw e;
        } catch (InvalidInputException e) {
            throw new ConfigException(e.source(), e.problem());
        }
        try {
            JsonNode node = JSON.readTree(text);
            if (node == null || node.isMissingNode()) {
                throw new ConfigException(file.toString(), "file is empty");
            }
            return node;
        } catch (IOException e) {
            String msg = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
            throw new ConfigException(file.toString(), "not valid JSON: " + msg, e);
        }
    }

    private static List<String> readArchitectures(ConfigObject top) {
        List<String> out = new ArrayList<>();
        if (top.has("architectures")) {
            JsonNode a = top.unreadFields().get("architectures");
            top.ignore("architectures");
            if (a != null && a.isArray()) {
                a.forEach(n -> out.add(n.asText()));
            }
        }
        return out;
    }

    private static ModelFamily detectFamily(ConfigObject top, String modelType, List<String> architectures, String file) {
        if (top.has("text_config") || top.has("vision_config") || "llava".equals(modelType) && !top.has("mm_vision_tower")
                || architectures.contains("LlavaForConditionalGeneration")) {
            return ModelFamily.LLAVA_HF;
        }
        if (top.has("mm_vision_tower") || top.has("mm_projector_type") || top.has("mm_hidden_size")) {
            return ModelFamily.LLAVA_ORIGINAL;
        }
        if (modelType == null || modelType.equals("llama") || architectures.contains("LlamaForCausalLM")) {
            return ModelFamily.LLAMA;
        }
        throw new ConfigException(file + ": model_type", "'" + modelType + "' with architectures " + architectures
                + " is not a LLaMA or LLaVA model (supported: LlamaForCausalLM, LlavaForConditionalGeneration,"
                + " original LLaVA LlavaLlamaForCausalLM and its γ-MoD / p-MoD / PyramidDrop variants)");
    }
}
