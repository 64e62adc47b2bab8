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
