package dev.mod4j.loaders.config;

/**
 * How a LLaVA model joins image features to the language model, in one record for both layouts
 * (llava-hf's {@code LlavaConfig} fields and the original repository's {@code mm_*} fields).
 *
 * @param imageTokenIndex            id of the {@code <image>} placeholder in input ids (32000 in llava-hf,
 *                                   -200 in the original repository, where it never reaches the tokenizer)
 * @param projectorType              {@code mlp2x_gelu} or {@code linear} (llava-hf is always a 2-layer MLP)
 * @param projectorHiddenAct         activation between the projector's linears ({@code gelu}: exact, erf-based)
 * @param visionFeatureLayer         which hidden state of the tower feeds the projector (-2: penultimate)
 * @param visionFeatureSelectStrategy {@code default} drops the CLS row, {@code full} keeps it
 * @param imageAspectRatio           the original layout's preprocessing: {@code pad} to a square with the mean colour,
 *                                   else CLIP's crop; in llava-hf the field as written (null when absent), which
 *                                   transformers ignores: its {@code preprocessor_config.json} decides
 * @param visionTower                the original layout's {@code mm_vision_tower} (a hub id or a path); null in llava-hf
 */
public record MultimodalConfig(int imageTokenIndex, String projectorType, String projectorHiddenAct,
                               boolean projectorBias, int visionFeatureLayer, String visionFeatureSelectStrategy,
                               String imageAspectRatio, String visionTower, int mmHiddenSize) {

    /** The placeholder id the original LLaVA code splices into input ids (its IMAGE_TOKEN_INDEX). */
    public static final int ORIGINAL_IMAGE_TOKEN_INDEX = -200;

    static MultimodalConfig readLlavaHf(ConfigObject c, int visionHidden) {
        Integer index = c.intOrNull("image_token_index");
        Integer id = c.intOrNull("image_token_id");
        int imageToken = index != null ? index : id != null ? id : 32000;
        int layer = readFeatureLayer(c, "vision_feature_layer");
        String strategy = strategy(c, c.string("vision_feature_select_strategy", "default"), "vision_feature_select_strategy");
        return new MultimodalConfig(imageToken, "mlp2x_gelu", Activations.require(c, "projector_hidden_act", "gelu"),
                c.booleanValue("multimodal_projector_bias", true), layer, strategy,
                c.string("image_aspect_ratio", null), null, visionHidden);
    }

    static MultimodalConfig readOriginal(ConfigObject c) {
        String projector = c.string("mm_projector_type", "linear");
        if (!projector.equals("linear") && !projector.matches("mlp\\d+x_gelu")) {
            throw new ConfigException(c.where("mm_projector_type"), "unsupported projector '" + projector
                    + "' (supported: linear, mlp2x_gelu)");
        }
        if (c.booleanValue("mm_use_im_start_end", false)) {
            throw new ConfigException(c.where("mm_use_im_start_end"), "true is not supported (mod4j splices the"
                    + " image rows without <im_start>/<im_end> tokens around them)");
        }
        String feature = c.string("mm_vision_select_feature", "patch");
        String strategy = switch (feature) {
            case "patch" -> "default";
            case "cls_patch" -> "full";
            default -> throw new ConfigException(c.where("mm_vision_select_feature"),
                    "expected 'patch' or 'cls_patch', found '" + feature + "'");
        };
        return new MultimodalConfig(ORIGINAL_IMAGE_TOKEN_INDEX, projector, "gelu", true,
                c.intValue("mm_vision_select_layer", -2), strategy, c.string("image_aspect_ratio", "square"),
                c.string("mm_vision_tower", null), c.intValue("mm_hidden_size", 1024));
    }

    private static int readFeatureLayer(ConfigObject c, String field) {
        // Newer llava-hf configs may hold a list of layers (concatenated features); mod4j supports one layer.
        return c.intValue(field, -2);
    }

    private static String strategy(ConfigObject c, String value, String field) {
        if (!value.equals("default") && !value.equals("full")) {
            throw new ConfigException(c.where(field), "expected 'default' or 'full', found '" + value + "'");
        }
        return value;
    }

    /** Number of projector linear layers (1 for linear, 2 for mlp2x_gelu). */
    public int projectorDepth() {
        if (projectorType.equals("linear")) {
            return 1;
        }
        return Integer.parseInt(projectorType.substring(3, projectorType.indexOf('x')));
    }
}
