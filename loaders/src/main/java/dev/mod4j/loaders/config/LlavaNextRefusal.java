package dev.mod4j.loaders.config;

import java.util.List;

/**
 * TEMPORARY, to be deleted with its one call in {@link ModelConfig#load} when LLaVA-NeXT (anyres) lands: refuses by
 * name the config values of LLaVA-NeXT / LLaVA-1.6, which would otherwise run as LLaVA-1.5 and give wrong answers
 * ({@code model_type: llava_next}, {@code image_aspect_ratio: anyres*}, {@code mm_patch_merge_type} other than
 * {@code flat}, in the original layout; llava-hf's LLaVA-1.5 class ignores both).
 */
final class LlavaNextRefusal {
    private LlavaNextRefusal() {
    }

    static void refuse(ConfigObject top, ModelFamily family, String modelType, List<String> architectures) {
        if ("llava_next".equals(modelType) || architectures.contains("LlavaNextForConditionalGeneration")) {
            throw new ConfigException(top.where("model_type"), "'llava_next' (LLaVA-NeXT) is not supported yet:"
                    + " its anyres image tiling would be run as LLaVA-1.5's single image");
        }
        if (family != ModelFamily.LLAVA_ORIGINAL) {
            return; // transformers' LlavaForConditionalGeneration reads neither field
        }
        if (top.has("image_aspect_ratio") && top.string("image_aspect_ratio", "").startsWith("anyres")) {
            throw new ConfigException(top.where("image_aspect_ratio"), "'" + top.string("image_aspect_ratio", "")
                    + "' (LLaVA-1.6 tiling) is not supported yet (supported: pad, square)");
        }
        String merge = top.string("mm_patch_merge_type", "flat");
        if (!merge.equals("flat")) {
            throw new ConfigException(top.where("mm_patch_merge_type"), "'" + merge + "' is not supported yet"
                    + " (supported: flat)");
        }
    }
}
