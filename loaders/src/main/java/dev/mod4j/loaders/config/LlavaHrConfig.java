package dev.mod4j.loaders.config;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * LLaVA-HR's dual-encoder settings in an original-layout {@code config.json} (γ-MoD's {@code mod_llava_llama}
 * checkpoints set them through its training script): {@code is_multipath_encoder}, {@code vision_tower_slow},
 * {@code input_image_size}, {@code freeze_vision}. Read as γ-MoD's {@code MultiPathCLIPVisionTower} reads them
 * (Yaxin9Luo/Gamma-MOD@5de27f2, gamma_mod/model/multimodal_encoder/multipath_encoder_wapper.py).
 *
 * @param visionTowerSlow the slow branch's timm name ({@code convnext_large_mlp.clip_laion2b_ft_320}); its sizes
 *                        are read from the checkpoint's tensors
 * @param inputImageSize  the image side both branches start from (1024 in the released checkpoints)
 * @param adapters        whether the three MR-adapters run between the fast branch's layer groups
 *                        ({@code enable_adapter = not freeze_vision})
 */
public record LlavaHrConfig(String visionTowerSlow, int inputImageSize, boolean adapters) {

    /** The fast (CLIP) branch's side: {@code max(int(input_image_size / 32 * 14), 336)} as the released code has it. */
    public int fastImageSize() {
        return Math.max((int) (inputImageSize / 32.0 * 14), 336);
    }

    /** The settings of {@code config}, or null when it is not a multipath (LLaVA-HR) model. */
    public static LlavaHrConfig read(ModelConfig config) {
        if (config.family() != ModelFamily.LLAVA_ORIGINAL) {
            return null;
        }
        ObjectNode node = ModelConfig.JSON.createObjectNode();
        config.extraFields().forEach(node::set);
        ConfigObject c = ConfigObject.of(config.file().toString(), "", node);
        if (!c.booleanValue("is_multipath_encoder", false)) {
            return null;
        }
        String slow = c.string("vision_tower_slow", null);
        if (slow == null) {
            throw new ConfigException(c.where("vision_tower_slow"), "is missing; a multipath (LLaVA-HR) model names"
                    + " its slow ConvNeXt branch there");
        }
        if (!slow.contains("convnext") || slow.contains("xxlarge")) {
            throw new ConfigException(c.where("vision_tower_slow"), "'" + slow + "' is not supported: mod4j runs"
                    + " LLaVA-HR's ConvNeXt slow branch (convnext_large_mlp / convnext_base, LayerNorm eps 1e-6)");
        }
        int size = c.boundedInt("input_image_size", 1024, ClipVisionConfig.MAX_IMAGE_SIZE);
        if (size % 32 != 0) {
            throw new ConfigException(c.where("input_image_size"), size + " is not a multiple of 32 (the slow"
                    + " branch's stride)");
        }
        return new LlavaHrConfig(slow, size, !c.booleanValue("freeze_vision", false));
    }
}
