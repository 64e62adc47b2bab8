package dev.mod4j.loaders.synthetic;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mod4j.loaders.config.ClipVisionConfig;
import dev.mod4j.loaders.config.LlamaConfig;
import dev.mod4j.loaders.layout.CheckpointLayout;
import dev.mod4j.loaders.progress.ProgressListener;
import dev.mod4j.loaders.progress.ProgressTask;
import dev.mod4j.loaders.safetensors.SafetensorsWriter;
import dev.mod4j.loaders.safetensors.SafetensorsWriter.TensorData;
import dev.mod4j.loaders.safetensors.ShardedCheckpointWriter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Writes a random-weight model in a real checkpoint layout: {@code config.json} as transformers / the original
 * LLaVA code write it, safetensors weights (one file or a sharded set), γ-MoD or p-MoD router tensors, and for the
 * original LLaVA layout a separate CLIP tower directory ({@code clip-vision-tower/}) that {@code mm_vision_tower}
 * names. Tests and the offline demo use it; nothing is downloaded.
 */
public final class RandomModelWriter {
    /** Where the original layout's CLIP tower is written, relative to the model directory. */
    public static final String ORIGINAL_TOWER_DIRECTORY = "clip-vision-tower";

    private final RandomModelSpec spec;
    private final SplittableRandom random;
    /** Random tensors to draw (the unit of progress: drawing their values is most of the writing). */
    private long randomTensors;
    private ProgressTask progress = ProgressTask.NONE;

    private RandomModelWriter(RandomModelSpec spec) {
        this.spec = spec;
        this.random = new SplittableRandom(spec.seed());
    }

    public static void write(RandomModelSpec spec, Path directory) {
        new RandomModelWriter(spec).writeTo(directory);
    }

    private void writeTo(Path directory) {
        try {
            Files.createDirectories(directory);
            CheckpointLayout layout = spec.layout();
            List<TensorData> language = new ArrayList<>();
            List<TensorData> tower = new ArrayList<>();
            addDecoder(language, layout);
            if (spec.vision() != null) {
                boolean separate = layout.separateVisionTower();
                addVisionTower(separate ? tower : language, layout);
                addProjector(language, layout);
            }
            progress = ProgressListener.current().start("write random model (tensors)", randomTensors);
            writeTensors(directory, language);
            Files.writeString(directory.resolve("config.json"), config().toPrettyString());
            if (!tower.isEmpty()) {
                Path towerDir = directory.resolve(ORIGINAL_TOWER_DIRECTORY);
                Files.createDirectories(towerDir);
                writeTensors(towerDir, tower);
                Files.writeString(towerDir.resolve("config.json"), clipConfig().toPrettyString());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write model to " + directory, e);
        } finally {
            progress.close();
        }
    }

    private void writeTensors(Path directory, List<TensorData> tensors) {
        long total = tensors.stream().mapToLong(TensorData::byteSize).sum();
        if (total > spec.maxShardBytes()) {
            ShardedCheckpointWriter.write(directory, tensors, spec.maxShardBytes());
        } else {
            SafetensorsWriter writer = new SafetensorsWriter().metadata("format", "pt");
            tensors.forEach(writer::add);
            writer.write(directory.resolve("model.safetensors"));
        }
    }

    private void addDecoder(List<TensorData> out, CheckpointLayout layout) {
        LlamaConfig t = spec.text();
        int d = t.hiddenSize();
        out.add(random(layout.embedTokens(), 1.0f, t.vocabSize(), d));
        for (int i = 0; i < t.numHiddenLayers(); i++) {
            boolean nested = spec.routers() == RandomModelSpec.Routers.P_MOD && spec.modLayers().contains(i);
            int layer = i;
            java.util.function.Function<String, String> name = suffix -> nested
                    ? layout.nestedLayerTensor(layer, suffix) : layout.plainLayerTensor(layer, suffix);
            out.add(norm(name.apply("input_layernorm.weight"), d));
            out.add(random(name.apply("self_attn.q_proj.weight"), spec.weightScale(), t.qDim(), d));
            out.add(random(name.apply("self_attn.k_proj.weight"), spec.weightScale(), t.kvDim(), d));
            out.add(random(name.apply("self_attn.v_proj.weight"), spec.weightScale(), t.kvDim(), d));
            out.add(random(name.apply("self_attn.o_proj.weight"), spec.weightScale(), d, t.qDim()));
            out.add(norm(name.apply("post_attention_layernorm.weight"), d));
            out.add(random(name.apply("mlp.gate_proj.weight"), spec.weightScale(), t.intermediateSize(), d));
            out.add(random(name.apply("mlp.up_proj.weight"), spec.weightScale(), t.intermediateSize(), d));
            out.add(random(name.apply("mlp.down_proj.weight"), spec.weightScale(), d, t.intermediateSize()));
        }
        addRouters(out, layout, d);
        out.add(norm(layout.finalNorm(), d));
        if (!t.tieWordEmbeddings()) {
            out.add(random(layout.lmHead(), spec.weightScale(), t.vocabSize(), d));
        }
    }

    private void addRouters(List<TensorData> out, CheckpointLayout layout, int d) {
        switch (spec.routers()) {
            case NONE -> {
            }
            case GAMMA_MOD -> {
                // One shared Linear(d, 2, bias=False), saved under every MoD layer (docs/methods.md §3.3).
                float[] shared = gaussian(2 * d, spec.weightScale());
                for (int layer : spec.modLayers()) {
                    out.add(TensorData.ofFloats(layout.gammaModRouter(layer), spec.dtype(), new long[]{2, d}, shared));
                }
            }
            case P_MOD -> {
                for (int layer : spec.modLayers()) {
                    out.add(random(layout.pModRouterWeight(layer), spec.weightScale(), 1, d));
                    out.add(random(layout.pModRouterBias(layer), spec.weightScale(), 1));
                }
            }
        }
    }

    private void addVisionTower(List<TensorData> out, CheckpointLayout layout) {
        ClipVisionConfig v = spec.vision();
        int h = v.hiddenSize();
        out.add(random(layout.visionTensor("embeddings.class_embedding"), 0.5f, h));
        out.add(random(layout.visionTensor("embeddings.patch_embedding.weight"), spec.weightScale(), h, v.numChannels(),
                v.patchSize(), v.patchSize()));
        out.add(random(layout.visionTensor("embeddings.position_embedding.weight"), 0.5f, v.patchCount() + 1, h));
        out.add(norm(layout.visionTensor("pre_layrnorm.weight"), h));
        out.add(random(layout.visionTensor("pre_layrnorm.bias"), 0.1f, h));
        for (int i = 0; i < v.numHiddenLayers(); i++) {
            String p = "encoder.layers." + i + ".";
            for (String proj : List.of("k_proj", "v_proj", "q_proj", "out_proj")) {
                out.add(random(layout.visionTensor(p + "self_attn." + proj + ".weight"), spec.weightScale(), h, h));
                out.add(random(layout.visionTensor(p + "self_attn." + proj + ".bias"), 0.1f, h));
            }
            out.add(norm(layout.visionTensor(p + "layer_norm1.weight"), h));
            out.add(random(layout.visionTensor(p + "layer_norm1.bias"), 0.1f, h));
            out.add(random(layout.visionTensor(p + "mlp.fc1.weight"), spec.weightScale(), v.intermediateSize(), h));
            out.add(random(layout.visionTensor(p + "mlp.fc1.bias"), 0.1f, v.intermediateSize()));
            out.add(random(layout.visionTensor(p + "mlp.fc2.weight"), spec.weightScale(), h, v.intermediateSize()));
            out.add(random(layout.visionTensor(p + "mlp.fc2.bias"), 0.1f, h));
            out.add(norm(layout.visionTensor(p + "layer_norm2.weight"), h));
            out.add(random(layout.visionTensor(p + "layer_norm2.bias"), 0.1f, h));
        }
        out.add(norm(layout.visionTensor("post_layernorm.weight"), h));
        out.add(random(layout.visionTensor("post_layernorm.bias"), 0.1f, h));
    }

    private void addProjector(List<TensorData> out, CheckpointLayout layout) {
        int in = spec.vision().hiddenSize();
        int d = spec.text().hiddenSize();
        List<String> linears = layout.projectorLinears();
        for (int k = 0; k < linears.size(); k++) {
            out.add(random(linears.get(k) + ".weight", spec.weightScale(), d, k == 0 ? in : d));
            out.add(random(linears.get(k) + ".bias", 0.1f, d));
        }
    }

    private TensorData random(String name, float scale, long... shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        // Values are drawn when the tensor is written, from a generator split off now: deterministic, and only one
        // tensor's floats are in memory at a time (a TinyLlama-sized checkpoint does not fit the heap at once).
        SplittableRandom own = random.split();
        int count = Math.toIntExact(n);
        randomTensors++;
        return TensorData.lazyFloats(name, spec.dtype(), shape, () -> {
            float[] values = gaussian(own, count, scale);
            progress.advance(1);
            return values;
        });
    }

    /** Norm weights near 1, so activations keep a sensible scale. */
    private TensorData norm(String name, int size) {
        float[] w = gaussian(size, 0.1f);
        for (int i = 0; i < size; i++) {
            w[i] += 1f;
        }
        return TensorData.ofFloats(name, spec.dtype(), new long[]{size}, w);
    }

    private float[] gaussian(int n, float scale) {
        return gaussian(random, n, scale);
    }

    private static float[] gaussian(SplittableRandom random, int n, float scale) {
        float[] out = new float[n];
        // Box-Muller on SplittableRandom (reproducible across JDKs), both outputs of each pair used.
        for (int i = 0; i < n; i += 2) {
            double radius = scale * Math.sqrt(-2 * Math.log(1 - random.nextDouble()));
            double angle = 2 * Math.PI * random.nextDouble();
            out[i] = (float) (radius * Math.cos(angle));
            if (i + 1 < n) {
                out[i + 1] = (float) (radius * Math.sin(angle));
            }
        }
        return out;
    }

    private ObjectNode config() {
        LlamaConfig t = spec.text();
        CheckpointLayout layout = spec.layout();
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        if (layout == CheckpointLayout.LLAMA) {
            root.putArray("architectures").add("LlamaForCausalLM");
            root.put("model_type", "llama");
            putLlama(root, t);
        } else if (layout.separateVisionTower() || layout.name().startsWith("llava-original")) {
            root.putArray("architectures").add(switch (spec.routers()) {
                case NONE -> "LlavaLlamaForCausalLM";
                case GAMMA_MOD -> "MoDLlavaLlamaForCausalLM";
                case P_MOD -> "PmodLlavaLlamaForCausalLM";
            });
            root.put("model_type", switch (spec.routers()) {
                case NONE -> "llava_llama";
                case GAMMA_MOD -> "mod_llava_llama";
                case P_MOD -> "pmod_llava_llama";
            });
            putLlama(root, t);
            root.put("mm_vision_tower", ORIGINAL_TOWER_DIRECTORY);
            root.put("mm_projector_type", layout.projectorLinears().size() == 1 ? "linear" : "mlp2x_gelu");
            root.put("mm_hidden_size", spec.vision().hiddenSize());
            root.put("mm_vision_select_layer", -2);
            root.put("mm_vision_select_feature", "patch");
            root.put("image_aspect_ratio", "pad");
            root.put("mm_use_im_start_end", false);
            root.put("mm_use_im_patch_token", false);
            root.put("tokenizer_model_max_length", t.maxPositionEmbeddings());
            putRouterConfig(root);
        } else {
            root.putArray("architectures").add("LlavaForConditionalGeneration");
            root.put("model_type", "llava");
            root.put("image_token_index", t.vocabSize() - 1);
            root.put("projector_hidden_act", "gelu");
            root.put("vision_feature_layer", -2);
            root.put("vision_feature_select_strategy", "default");
            root.put("image_seq_length", spec.vision().patchCount());
            root.put("torch_dtype", t.torchDtype());
            ObjectNode text = root.putObject("text_config");
            text.put("model_type", "llama");
            putLlama(text, t);
            putClip(root.putObject("vision_config"), spec.vision());
            putRouterConfig(root);
        }
        return root;
    }

    private void putRouterConfig(ObjectNode root) {
        switch (spec.routers()) {
            case NONE -> {
            }
            case GAMMA_MOD -> {
                ObjectNode mod = root.putObject("mod");
                mod.put("mod_enable", true);
                mod.put("mod_mode", "arank_mod");
                spec.modLayers().forEach(mod.putArray("mod_layers_idx")::add);
                mod.put("capacity_factor", 0.5);
                mod.put("router_aux_loss_coef", 0.01);
            }
            case P_MOD -> {
                root.put("mod_target_layers", "shiftedcos_decay_0.85_0.15");
                root.put("mod_target_token_type", "vision_all");
                root.put("mod_router_factor", 0.5);
                root.put("mod_weight_norm", "tanh_0.2_1");
                root.put("mod_bias_enabled", true);
                root.put("mod_special_init", true);
                spec.modLayers().forEach(root.putArray("mod_target_layer_indices")::add);
            }
        }
    }

    private void putLlama(ObjectNode o, LlamaConfig t) {
        o.put("vocab_size", t.vocabSize());
        o.put("hidden_size", t.hiddenSize());
        o.put("intermediate_size", t.intermediateSize());
        o.put("num_hidden_layers", t.numHiddenLayers());
        o.put("num_attention_heads", t.numAttentionHeads());
        o.put("num_key_value_heads", t.numKeyValueHeads());
        if (t.headDim() != t.hiddenSize() / t.numAttentionHeads()) {
            o.put("head_dim", t.headDim());
        }
        o.put("hidden_act", t.hiddenAct());
        o.put("max_position_embeddings", t.maxPositionEmbeddings());
        o.put("rms_norm_eps", t.rmsNormEps());
        o.put("rope_theta", t.ropeTheta());
        o.put("tie_word_embeddings", t.tieWordEmbeddings());
        o.put("bos_token_id", t.bosTokenId());
        o.put("eos_token_id", t.eosTokenIds().getFirst());
        o.put("torch_dtype", switch (spec.dtype()) {
            case F16 -> "float16";
            case BF16 -> "bfloat16";
            default -> "float32";
        });
    }

    private ObjectNode clipConfig() {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        root.putArray("architectures").add("CLIPVisionModel");
        putClip(root, spec.vision());
        return root;
    }

    private static void putClip(ObjectNode o, ClipVisionConfig v) {
        o.put("model_type", "clip_vision_model");
        o.put("hidden_size", v.hiddenSize());
        o.put("intermediate_size", v.intermediateSize());
        o.put("num_hidden_layers", v.numHiddenLayers());
        o.put("num_attention_heads", v.numAttentionHeads());
        o.put("image_size", v.imageSize());
        o.put("patch_size", v.patchSize());
        o.put("projection_dim", v.projectionDim());
        o.put("hidden_act", v.hiddenAct());
        o.put("layer_norm_eps", v.layerNormEps());
    }
}
