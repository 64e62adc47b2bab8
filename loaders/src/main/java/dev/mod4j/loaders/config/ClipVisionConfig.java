package dev.mod4j.loaders.config;

/**
 * A CLIP vision tower's configuration (transformers' {@code CLIPVisionConfig}); absent fields take its defaults.
 */
public record ClipVisionConfig(int hiddenSize, int intermediateSize, int numHiddenLayers, int numAttentionHeads,
                               int numChannels, int imageSize, int patchSize, String hiddenAct, double layerNormEps,
                               int projectionDim) {

    /** The tower of llava-1.5 (CLIP ViT-L/14 at 336 px): what transformers' LlavaConfig uses without a vision_config. */
    public static final ClipVisionConfig CLIP_VIT_L_14_336 =
            new ClipVisionConfig(1024, 4096, 24, 16, 3, 336, 14, "quick_gelu", 1e-5, 768);

    /** openai/clip-vit-large-patch14 (224 px), LLaVA-1.0's tower. */
    public static final ClipVisionConfig CLIP_VIT_L_14_224 =
            new ClipVisionConfig(1024, 4096, 24, 16, 3, 224, 14, "quick_gelu", 1e-5, 768);

    /** The config of a tower named by hub id whose config.json mod4j knows, else null. */
    public static ClipVisionConfig known(String hubId) {
        return switch (hubId == null ? "" : hubId) {
            case "openai/clip-vit-large-patch14-336" -> CLIP_VIT_L_14_336;
            case "openai/clip-vit-large-patch14" -> CLIP_VIT_L_14_224;
            default -> null;
        };
    }

    public int patchesPerSide() {
        return imageSize / patchSize;
    }

    /** Patch tokens per image, without the class token. */
    public int patchCount() {
        return patchesPerSide() * patchesPerSide();
    }

    /** Bounds of the size-like fields, far above every released CLIP/SigLIP tower (ViT-G: 1664 wide, 48 layers). */
    public static final int MAX_IMAGE_SIZE = 4096;

    static ClipVisionConfig read(ConfigObject c) {
        String type = c.string("model_type", "clip_vision_model");
        if (!type.equals("clip_vision_model") && !type.equals("clip")) {
            throw new ConfigException(c.where("model_type"), "'" + type + "' is not supported: mod4j runs CLIP vision"
                    + " towers (clip_vision_model)");
        }
        int hidden = c.boundedInt("hidden_size", 768, LlamaConfig.MAX_HIDDEN_SIZE);
        int heads = c.boundedInt("num_attention_heads", 12, LlamaConfig.MAX_HEADS);
        if (hidden % heads != 0) {
            throw new ConfigException(c.where("hidden_size"), hidden + " is not divisible by num_attention_heads " + heads);
        }
        int imageSize = c.boundedInt("image_size", 224, MAX_IMAGE_SIZE);
        int patchSize = c.boundedInt("patch_size", 32, MAX_IMAGE_SIZE);
        if (imageSize % patchSize != 0) {
            throw new ConfigException(c.where("image_size"), imageSize + " is not a multiple of patch_size " + patchSize);
        }
        int channels = c.positiveInt("num_channels", 3);
        if (channels != 3) {
            throw new ConfigException(c.where("num_channels"), channels + " is not supported: mod4j's images are RGB"
                    + " (3 channels)");
        }
        return new ClipVisionConfig(hidden, c.boundedInt("intermediate_size", 3072, LlamaConfig.MAX_INTERMEDIATE_SIZE),
                c.boundedInt("num_hidden_layers", 12, LlamaConfig.MAX_LAYERS), heads, channels, imageSize, patchSize,
                Activations.require(c, "hidden_act", "quick_gelu"), c.doubleValue("layer_norm_eps", 1e-5),
                c.boundedInt("projection_dim", 512, LlamaConfig.MAX_HIDDEN_SIZE));
    }
}
