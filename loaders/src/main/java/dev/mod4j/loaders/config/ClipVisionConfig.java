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

    static ClipVisionConfig read(ConfigObject c) {
        int hidden = c.positiveInt("hidden_size", 768);
        int heads = c.positiveInt("num_attention_heads", 12);
        if (hidden % heads != 0) {
            throw new ConfigException(c.where("hidden_size"), hidden + " is not divisible by num_attention_heads " + heads);
        }
        int imageSize = c.positiveInt("image_size", 224);
        int patchSize = c.positiveInt("patch_size", 32);
        if (imageSize % patchSize != 0) {
            throw new ConfigException(c.where("image_size"), imageSize + " is not a multiple of patch_size " + patchSize);
        }
        return new ClipVisionConfig(hidden, c.positiveInt("intermediate_size", 3072),
                c.positiveInt("num_hidden_layers", 12), heads, c.positiveInt("num_channels", 3), imageSize, patchSize,
                c.string("hidden_act", "quick_gelu"), c.doubleValue("layer_norm_eps", 1e-5),
                c.positiveInt("projection_dim", 512));
    }
}
