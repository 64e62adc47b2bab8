package dev.mod4j.loaders.layout;

import dev.mod4j.loaders.safetensors.Checkpoint;

import java.util.List;

/**
 * How tensor names map to the parts of a LLaMA / LLaVA model in one family of checkpoints.
 * Layer tensors are named by their HuggingFace suffix ({@code self_attn.q_proj.weight}); p-MoD's MoD layers nest the
 * same tensors under {@code decoder_layer.} (docs/methods.md §4.8), which {@link #layerTensor} resolves per layer.
 *
 * @param languagePrefix  prefix of the decoder's tensors ({@code embed_tokens}, {@code layers.N}, {@code norm})
 * @param lmHead          name of the output projection (absent when embeddings are tied)
 * @param visionPrefix    prefix of the CLIP vision tower's {@code embeddings/pre_layrnorm/encoder} tensors, in the
 *                        vision checkpoint (the same checkpoint unless {@link #separateVisionTower})
 * @param projectorLinears names (without {@code .weight}/{@code .bias}) of the projector's linear layers, in order
 */
public record CheckpointLayout(String name, String languagePrefix, String lmHead, String visionPrefix,
                               boolean separateVisionTower, List<String> projectorLinears) {

    public static final CheckpointLayout LLAMA = new CheckpointLayout("llama", "model.", "lm_head.weight", null,
            false, List.of());
    /** transformers ≤ 4.51 {@code LlavaForConditionalGeneration} (the llava-hf repositories). */
    public static final CheckpointLayout LLAVA_HF = new CheckpointLayout("llava-hf", "language_model.model.",
            "language_model.lm_head.weight", "vision_tower.vision_model.", false,
            List.of("multi_modal_projector.linear_1", "multi_modal_projector.linear_2"));
    /** transformers ≥ 4.52 naming of the same model ({@code model.language_model}, top-level {@code lm_head}). */
    public static final CheckpointLayout LLAVA_HF_MODEL = new CheckpointLayout("llava-hf (transformers>=4.52 naming)",
            "model.language_model.", "lm_head.weight", "model.vision_tower.vision_model.", false,
            List.of("model.multi_modal_projector.linear_1", "model.multi_modal_projector.linear_2"));
    /** The original LLaVA repository: CLIP tower in its own checkpoint ({@code vision_model.*}), projector mm_projector. */
    public static final CheckpointLayout LLAVA_ORIGINAL = new CheckpointLayout("llava-original", "model.",
            "lm_head.weight", "vision_model.", true, List.of("model.mm_projector.0", "model.mm_projector.2"));
    /** Original layout with a linear projector. */
    public static final CheckpointLayout LLAVA_ORIGINAL_LINEAR = new CheckpointLayout("llava-original (linear projector)",
            "model.", "lm_head.weight", "vision_model.", true, List.of("model.mm_projector"));
    /** Original layout whose checkpoint also carries the tower ({@code model.vision_tower.vision_tower.vision_model}). */
    public static final String ORIGINAL_EMBEDDED_TOWER_PREFIX = "model.vision_tower.vision_tower.vision_model.";
    /**
     * Original layout with the CLIP tower saved inside the model checkpoint, as p-MoD's checkpoints are
     * ({@code model.vision_tower.vision_tower.vision_model.*}, LLaVA's {@code CLIPVisionTower.vision_tower}).
     */
    public static final CheckpointLayout LLAVA_ORIGINAL_EMBEDDED_TOWER = new CheckpointLayout(
            "llava-original (tower embedded)", "model.", "lm_head.weight", ORIGINAL_EMBEDDED_TOWER_PREFIX, false,
            List.of("model.mm_projector.0", "model.mm_projector.2"));

    /**
     * LLaVA-HR (γ-MoD's {@code mod_llava_llama} with {@code is_multipath_encoder}): both towers saved inside the model
     * checkpoint under {@code model.vision_tower} ({@code MultiPathCLIPVisionTower}), the CLIP fast branch as
     * {@code fast_vision_tower.vision_tower.vision_model}.
     */
    public static final CheckpointLayout LLAVA_HR = new CheckpointLayout("llava-hr (multipath towers embedded)",
            "model.", "lm_head.weight", "model.vision_tower.fast_vision_tower.vision_tower.vision_model.", false,
            List.of("model.mm_projector.0", "model.mm_projector.2"));
    /** LLaVA-HR's slow branch, a timm ConvNeXt ({@code stem}, {@code stages.N}). */
    public static final String LLAVA_HR_SLOW_PREFIX = "model.vision_tower.slow_vision_tower.vision_tower.";
    /** LLaVA-HR's MR-adapters ({@code align_stages_latent.N}) and final fusion ({@code align_stages.0}). */
    public static final String LLAVA_HR_FUSION_PREFIX = "model.vision_tower.";

    /**
     * Mini-Gemini (γ-MoD's {@code mod_mgm}): the CLIP tower saved inside the model checkpoint as LLaVA's
     * {@code CLIPVisionTower} holds it, the auxiliary ConvNeXt under {@link #MINI_GEMINI_AUX_PREFIX}, the patch info
     * mining projections under {@link #MINI_GEMINI_MINING_PREFIX}.
     */
    public static final CheckpointLayout MINI_GEMINI = new CheckpointLayout("mini-gemini (towers embedded)", "model.",
            "lm_head.weight", ORIGINAL_EMBEDDED_TOWER_PREFIX, false,
            List.of("model.mm_projector.0", "model.mm_projector.2"));
    /**
     * Mini-Gemini's auxiliary tower: MGM's {@code OpenCLIPVisionTower} keeps the timm trunk's {@code stem} and
     * {@code stages} as {@code vision_stem} and {@code vision_stages}, so this prefix + timm's names are its tensors.
     */
    public static final String MINI_GEMINI_AUX_PREFIX = "model.vision_tower_aux.vision_";
    /** Mini-Gemini's patch info mining: {@code vlm_uni_query_projector}, {@code _aux_}, {@code _val_} (LayerNorm, Linear). */
    public static final String MINI_GEMINI_MINING_PREFIX = "model.vlm_uni_";

    public static final List<CheckpointLayout> ALL = List.of(LLAMA, LLAVA_HF, LLAVA_HF_MODEL, LLAVA_ORIGINAL,
            LLAVA_ORIGINAL_LINEAR);

    /**
     * LLaVA-NeXT's learned row separator: {@code image_newline} in llava-hf checkpoints (transformers ≥ 4.52:
     * {@code model.image_newline}), {@code model.image_newline} in the original layout.
     */
    public String imageNewline() {
        return languagePrefix.equals("language_model.model.") ? "image_newline" : "model.image_newline";
    }

    public String embedTokens() {
        return languagePrefix + "embed_tokens.weight";
    }

    public String finalNorm() {
        return languagePrefix + "norm.weight";
    }

    /** The plain (dense-layer) name of layer {@code i}'s tensor with HF suffix {@code suffix}. */
    public String plainLayerTensor(int layer, String suffix) {
        return languagePrefix + "layers." + layer + "." + suffix;
    }

    /** p-MoD wraps a MoD layer's decoder layer as {@code decoder_layer}, nesting its tensors one level deeper. */
    public String nestedLayerTensor(int layer, String suffix) {
        return languagePrefix + "layers." + layer + ".decoder_layer." + suffix;
    }

    /** Layer {@code i}'s tensor as this checkpoint names it (plain, or p-MoD's nested name when only that exists). */
    public String layerTensor(Checkpoint checkpoint, int layer, String suffix) {
        String plain = plainLayerTensor(layer, suffix);
        if (checkpoint.contains(plain)) {
            return plain;
        }
        String nested = nestedLayerTensor(layer, suffix);
        return checkpoint.contains(nested) ? nested : plain;
    }

    /** γ-MoD's shared router {@code Linear(d, 2, bias=False)}, saved under every MoD layer (docs/methods.md §3.3). */
    public String gammaModRouter(int layer) {
        return languagePrefix + "layers." + layer + ".router.weight";
    }

    /** p-MoD's per-layer router {@code Linear(d, 1)} weight [1, d] (docs/methods.md §4.8). */
    public String pModRouterWeight(int layer) {
        return languagePrefix + "layers." + layer + ".router.router.weight";
    }

    public String pModRouterBias(int layer) {
        return languagePrefix + "layers." + layer + ".router.router.bias";
    }

    public String visionTensor(String suffix) {
        return visionPrefix + suffix;
    }

    /** The layout of a checkpoint whose tower tensors sit under {@code prefix} instead of this layout's own. */
    public CheckpointLayout withVisionPrefix(String prefix, boolean separate) {
        return new CheckpointLayout(name, languagePrefix, lmHead, prefix, separate, projectorLinears);
    }

    @Override
    public String toString() {
        return name;
    }
}
