package dev.mod4j.loaders.layout;

import dev.mod4j.loaders.config.ClipVisionConfig;
import dev.mod4j.loaders.config.HubCache;
import dev.mod4j.loaders.config.LlamaConfig;
import dev.mod4j.loaders.config.LlavaHrConfig;
import dev.mod4j.loaders.config.MiniGeminiConfig;
import dev.mod4j.loaders.config.ModelConfig;
import dev.mod4j.loaders.config.ModelFamily;
import dev.mod4j.loaders.safetensors.Checkpoint;
import dev.mod4j.loaders.safetensors.CheckpointFormatException;
import dev.mod4j.loaders.safetensors.LoadMode;
import dev.mod4j.loaders.safetensors.Tensor;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * A model on disk: its config, its checkpoint(s) and the detected {@link CheckpointLayout}.
 * {@link #open} checks that every tensor the model needs is present with the shape the config implies, so a
 * wrong or incomplete download fails at load time with the tensor's expected name, not in the middle of a forward.
 */
public final class ModelFiles implements AutoCloseable {
    private final ModelConfig config;
    private final CheckpointLayout layout;
    private final Checkpoint language;
    private final Checkpoint vision;

    private ModelFiles(ModelConfig config, CheckpointLayout layout, Checkpoint language, Checkpoint vision) {
        this.config = config;
        this.layout = layout;
        this.language = language;
        this.vision = vision;
    }

    public static ModelFiles open(Path directory) {
        return open(directory, null, LoadMode.MMAP);
    }

    /**
     * @param visionTowerOverride for the original LLaVA layout: the CLIP checkpoint directory (else found from
     *                            {@code mm_vision_tower}); ignored for other layouts
     */
    public static ModelFiles open(Path directory, Path visionTowerOverride, LoadMode mode) {
        return open(directory, visionTowerOverride, mode, HubCache.fromEnvironment());
    }

    /** As {@link #open(Path, Path, LoadMode)}, looking for hub ids (mm_vision_tower) in {@code hubCache}. */
    public static ModelFiles open(Path directory, Path visionTowerOverride, LoadMode mode, HubCache hubCache) {
        ModelConfig config = ModelConfig.load(directory, visionTowerOverride, hubCache);
        Checkpoint language = Checkpoint.open(directory, mode);
        Checkpoint vision = null;
        try {
            CheckpointLayout layout = detect(language, config);
            if (config.family() == ModelFamily.LLAVA_ORIGINAL && !layout.separateVisionTower()
                    && config.vision() == null) {
                // A tower embedded in the checkpoint whose config.json is nowhere on disk (p-MoD's checkpoints).
                config = EmbeddedTower.withDerivedConfig(config, language, layout);
            }
            if (config.family() == ModelFamily.LLAVA_ORIGINAL && layout.separateVisionTower()
                    && config.visionTowerDirectory() != null) {
                vision = Checkpoint.open(config.visionTowerDirectory(), mode);
                if (!vision.contains(layout.visionTensor("embeddings.patch_embedding.weight"))) {
                    throw new CheckpointFormatException(config.visionTowerDirectory().toString(),
                            "not a CLIP vision checkpoint: missing tensor '"
                                    + layout.visionTensor("embeddings.patch_embedding.weight") + "'");
                }
            } else if (config.isMultimodal() && !layout.separateVisionTower()) {
                vision = language;
            }
            ModelFiles files = new ModelFiles(config, layout, language, vision);
            files.checkTensors();
            return files;
        } catch (RuntimeException e) {
            language.close();
            if (vision != null && vision != language) {
                vision.close();
            }
            throw e;
        }
    }

    static CheckpointLayout detect(Checkpoint checkpoint, ModelConfig config) {
        if (checkpoint.contains(CheckpointLayout.LLAVA_HF.embedTokens())) {
            return CheckpointLayout.LLAVA_HF;
        }
        if (checkpoint.contains(CheckpointLayout.LLAVA_HF_MODEL.embedTokens())) {
            return CheckpointLayout.LLAVA_HF_MODEL;
        }
        if (checkpoint.contains(CheckpointLayout.LLAMA.embedTokens())) {
            if (config.family() != ModelFamily.LLAVA_ORIGINAL) {
                return CheckpointLayout.LLAMA;
            }
            if (LlavaHrConfig.read(config) != null) {
                if (!config.multimodal().projectorType().equals("mlp2x_gelu")) {
                    throw new CheckpointFormatException(checkpoint.directory().toString(), "LLaVA-HR with projector '"
                            + config.multimodal().projectorType() + "' is not supported (released: mlp2x_gelu)");
                }
                return CheckpointLayout.LLAVA_HR;
            }
            if (MiniGeminiConfig.read(config) != null && config.multimodal().projectorType().equals("mlp2x_gelu")
                    && checkpoint.contains(CheckpointLayout.ORIGINAL_EMBEDDED_TOWER_PREFIX
                    + "embeddings.patch_embedding.weight")) {
                return CheckpointLayout.MINI_GEMINI;
            }
            CheckpointLayout layout = config.multimodal().projectorType().equals("linear")
                    ? CheckpointLayout.LLAVA_ORIGINAL_LINEAR : CheckpointLayout.LLAVA_ORIGINAL;
            if (checkpoint.contains(CheckpointLayout.ORIGINAL_EMBEDDED_TOWER_PREFIX + "embeddings.patch_embedding.weight")) {
                return layout == CheckpointLayout.LLAVA_ORIGINAL ? CheckpointLayout.LLAVA_ORIGINAL_EMBEDDED_TOWER
                        : layout.withVisionPrefix(CheckpointLayout.ORIGINAL_EMBEDDED_TOWER_PREFIX, false);
            }
            return layout;
        }
        List<String> sample = checkpoint.tensorNames().stream().sorted().limit(5).toList();
        throw new CheckpointFormatException(checkpoint.directory().toString(), "unrecognised checkpoint layout: no token"
                + " embedding under any known name (" + CheckpointLayout.ALL.stream().map(CheckpointLayout::embedTokens)
                .distinct().toList() + "); first tensors are " + sample);
    }

    private void checkTensors() {
        LlamaConfig t = config.text();
        long d = t.hiddenSize();
        if (config.family() == ModelFamily.LLAVA_HF && layout == CheckpointLayout.LLAMA) {
            throw new CheckpointFormatException(language.directory().toString(), "config.json describes a llava-hf model"
                    + " but the tensors are named like a plain LLaMA checkpoint ('model.embed_tokens.weight')");
        }
        requireShape(language, layout.embedTokens(), t.vocabSize(), d);
        requireShape(language, layout.finalNorm(), d);
        if (!t.tieWordEmbeddings()) {
            requireShape(language, layout.lmHead(), t.vocabSize(), d);
        }
        for (int i = 0; i < t.numHiddenLayers(); i++) {
            requireLayer(i, "input_layernorm.weight", d);
            requireLayer(i, "post_attention_layernorm.weight", d);
            requireLayer(i, "self_attn.q_proj.weight", t.qDim(), d);
            requireLayer(i, "self_attn.k_proj.weight", t.kvDim(), d);
            requireLayer(i, "self_attn.v_proj.weight", t.kvDim(), d);
            requireLayer(i, "self_attn.o_proj.weight", d, t.qDim());
            requireLayer(i, "mlp.gate_proj.weight", t.intermediateSize(), d);
            requireLayer(i, "mlp.up_proj.weight", t.intermediateSize(), d);
            requireLayer(i, "mlp.down_proj.weight", d, t.intermediateSize());
            if (t.attentionBias()) {
                requireLayer(i, "self_attn.q_proj.bias", t.qDim());
                requireLayer(i, "self_attn.k_proj.bias", t.kvDim());
                requireLayer(i, "self_attn.v_proj.bias", t.kvDim());
                requireLayer(i, "self_attn.o_proj.bias", d);
            }
        }
        if (vision != null) {
            checkVisionTower(config.vision());
            checkProjector(config.vision().hiddenSize(), d);
        } else if (config.isMultimodal()) {
            checkProjector(config.multimodal().mmHiddenSize(), d);
        }
    }

    private void checkVisionTower(ClipVisionConfig v) {
        long h = v.hiddenSize();
        requireShape(vision, layout.visionTensor("embeddings.class_embedding"), h);
        requireShape(vision, layout.visionTensor("embeddings.patch_embedding.weight"), h, v.numChannels(), v.patchSize(),
                v.patchSize());
        requireShape(vision, layout.visionTensor("embeddings.position_embedding.weight"), v.patchCount() + 1, h);
        requireShape(vision, layout.visionTensor("pre_layrnorm.weight"), h);
        requireShape(vision, layout.visionTensor("pre_layrnorm.bias"), h);
        for (int i = 0; i < v.numHiddenLayers(); i++) {
            String p = "encoder.layers." + i + ".";
            for (String proj : List.of("q_proj", "k_proj", "v_proj", "out_proj")) {
                requireShape(vision, layout.visionTensor(p + "self_attn." + proj + ".weight"), h, h);
                requireShape(vision, layout.visionTensor(p + "self_attn." + proj + ".bias"), h);
            }
            for (String norm : List.of("layer_norm1", "layer_norm2")) {
                requireShape(vision, layout.visionTensor(p + norm + ".weight"), h);
                requireShape(vision, layout.visionTensor(p + norm + ".bias"), h);
            }
            requireShape(vision, layout.visionTensor(p + "mlp.fc1.weight"), v.intermediateSize(), h);
            requireShape(vision, layout.visionTensor(p + "mlp.fc1.bias"), v.intermediateSize());
            requireShape(vision, layout.visionTensor(p + "mlp.fc2.weight"), h, v.intermediateSize());
            requireShape(vision, layout.visionTensor(p + "mlp.fc2.bias"), h);
        }
    }

    private void checkProjector(long visionHidden, long textHidden) {
        List<String> linears = layout.projectorLinears();
        for (int k = 0; k < linears.size(); k++) {
            long in = k == 0 ? visionHidden : textHidden;
            requireShape(language, linears.get(k) + ".weight", textHidden, in);
            if (config.multimodal().projectorBias()) {
                requireShape(language, linears.get(k) + ".bias", textHidden);
            }
        }
    }

    private void requireLayer(int layer, String suffix, long... shape) {
        requireShape(language, layout.layerTensor(language, layer, suffix), shape);
    }

    private static void requireShape(Checkpoint checkpoint, String name, long... shape) {
        if (!checkpoint.contains(name)) {
            throw new CheckpointFormatException(checkpoint.directory().toString(), "missing tensor '" + name
                    + "' (expected shape " + Arrays.toString(shape) + ")");
        }
        checkpoint.tensor(name).requireShape(shape);
    }

    public ModelConfig config() {
        return config;
    }

    public CheckpointLayout layout() {
        return layout;
    }

    /** The checkpoint holding the decoder and projector tensors (and the tower, unless it is separate). */
    public Checkpoint language() {
        return language;
    }

    /** The checkpoint holding the vision tower; null for plain LLaMA or an original-layout model whose tower was not found. */
    public Checkpoint vision() {
        return vision;
    }

    public Tensor layerTensor(int layer, String suffix) {
        return language.tensor(layout.layerTensor(language, layer, suffix));
    }

    @Override
    public void close() {
        language.close();
        if (vision != null && vision != language) {
            vision.close();
        }
    }
}
