package dev.mod4j.loaders.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mod4j.loaders.image.AnyresConvention;
import dev.mod4j.loaders.image.GridPinpoints;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * How a LLaVA-NeXT ("anyres") checkpoint tiles images and packs their features, from either layout's config:
 * <ul>
 *   <li>original LLaVA: {@code image_aspect_ratio: anyres}, {@code image_grid_pinpoints} (a list or the string
 *       LLaVA passes to {@code ast.literal_eval}), {@code mm_patch_merge_type} ({@code flat} when absent, as
 *       {@code getattr(config, 'mm_patch_merge_type', 'flat')} in {@code llava_arch.py});</li>
 *   <li>llava-hf: {@code model_type: llava_next} (or {@code LlavaNextForConditionalGeneration}), the config's
 *       {@code image_grid_pinpoints} ({@code LlavaNextConfig}'s default list when absent), always packed as
 *       {@code spatial_unpad} (the only merge transformers implements); {@code preprocessor_config.json}'s own
 *       {@code image_grid_pinpoints} must be the same list, or the processor's crops would not match the model's
 *       grid.</li>
 * </ul>
 *
 * @param patchMergeType {@code flat} (base and tiles one after another), {@code spatial} (tiles on the grid) or
 *                       {@code spatial_unpad} (on the grid, padding rows or columns removed, {@code image_newline}
 *                       after every row)
 */
public record AnyresSettings(GridPinpoints pinpoints, AnyresConvention convention, String patchMergeType) {

    /** {@code LlavaNextConfig}'s default {@code image_grid_pinpoints}. */
    public static final String LLAVA_NEXT_DEFAULT_PINPOINTS = "[[336, 672], [672, 336], [672, 672], [1008, 336], [336, 1008]]";

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Whether image features end each row with the learned {@code image_newline}. */
    public boolean unpadWithNewline() {
        return patchMergeType.equals("spatial_unpad");
    }

    /**
     * The checkpoint's anyres settings, or null for a model that takes one square crop per image.
     *
     * @param preprocessorFile llava-hf's {@code preprocessor_config.json} (null or absent: not checked)
     */
    public static AnyresSettings of(ModelConfig config, Path preprocessorFile) {
        if (config.multimodal() == null || config.vision() == null) {
            return null;
        }
        String file = config.file().toString();
        int base = config.vision().imageSize();
        if (config.family() == ModelFamily.LLAVA_ORIGINAL) {
            String aspect = config.multimodal().imageAspectRatio();
            if (aspect == null || !aspect.toLowerCase(Locale.ROOT).startsWith("anyres")) {
                return null;
            }
            if (!aspect.equals("anyres")) {
                throw new ConfigException(file + ": image_aspect_ratio", "'" + aspect + "' is a LLaVA-NeXT/OneVision"
                        + " variant mod4j does not implement (supported: anyres, pad, square)");
            }
            JsonNode maxPatches = config.extraFields().get("max_num_patches");
            if (maxPatches != null && !maxPatches.isNull()) {
                throw new ConfigException(file + ": max_num_patches", maxPatches + " asks for p-MoD's bilinear"
                        + " shrinking of the feature grid (anyres_max), which mod4j does not implement");
            }
            JsonNode merge = config.extraFields().get("mm_patch_merge_type");
            String mergeType = merge == null || merge.isNull() ? "flat" : merge.asText();
            if (!mergeType.equals("flat") && !mergeType.equals("spatial") && !mergeType.equals("spatial_unpad")) {
                throw new ConfigException(file + ": mm_patch_merge_type", "'" + mergeType + "' is not supported"
                        + " (supported: flat, spatial, spatial_unpad)");
            }
            GridPinpoints pinpoints = GridPinpoints.read(config.extraFields().get("image_grid_pinpoints"),
                    file + ": image_grid_pinpoints", base);
            return new AnyresSettings(pinpoints, AnyresConvention.LLAVA, mergeType);
        }
        boolean next = "llava_next".equals(config.modelType())
                || config.extraFields().containsKey("image_grid_pinpoints");
        if (!next) {
            return null;
        }
        JsonNode field = config.extraFields().get("image_grid_pinpoints");
        GridPinpoints pinpoints = GridPinpoints.read(field != null ? field : parse(LLAVA_NEXT_DEFAULT_PINPOINTS),
                file + ": image_grid_pinpoints", base);
        if (preprocessorFile != null && Files.isRegularFile(preprocessorFile)) {
            JsonNode processor = readJson(preprocessorFile).get("image_grid_pinpoints");
            if (processor != null && !processor.isNull()) {
                GridPinpoints own = GridPinpoints.read(processor, preprocessorFile + ": image_grid_pinpoints", base);
                if (!own.sameAs(pinpoints)) {
                    throw new ConfigException(preprocessorFile + ": image_grid_pinpoints", own + " differs from "
                            + file + "'s " + pinpoints + "; the processor's crops would not fit the model's grid");
                }
            }
        }
        return new AnyresSettings(pinpoints, AnyresConvention.TRANSFORMERS, "spatial_unpad");
    }

    private static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode readJson(Path file) {
        try {
            return JSON.readTree(dev.mod4j.loaders.SmallFiles.readText(file, dev.mod4j.loaders.FileLimit.CONFIG));
        } catch (IOException e) {
            throw new ConfigException(file.toString(), "not valid JSON: " + e.getMessage(), e);
        }
    }
}
