package dev.mod4j.loaders.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.mod4j.loaders.MessageAssertions.assertMentions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelConfigTest {
    @TempDir
    Path dir;

    /** llava-hf/llava-1.5-7b-hf's config.json: written in diff form, most fields left to the defaults. */
    static final String LLAVA_HF_7B = """
            {
              "architectures": ["LlavaForConditionalGeneration"],
              "ignore_index": -100,
              "image_token_index": 32000,
              "model_type": "llava",
              "pad_token_id": 32001,
              "projector_hidden_act": "gelu",
              "text_config": {
                "_name_or_path": "lmsys/vicuna-7b-v1.5",
                "architectures": ["LlamaForCausalLM"],
                "max_position_embeddings": 4096,
                "model_type": "llama",
                "rms_norm_eps": 1e-05,
                "torch_dtype": "float16",
                "vocab_size": 32064
              },
              "tie_word_embeddings": false,
              "torch_dtype": "float16",
              "transformers_version": "4.36.0.dev0",
              "vision_config": {
                "hidden_size": 1024,
                "image_size": 336,
                "intermediate_size": 4096,
                "model_type": "clip_vision_model",
                "num_attention_heads": 16,
                "num_hidden_layers": 24,
                "patch_size": 14,
                "projection_dim": 768,
                "vocab_size": 32000
              },
              "vision_feature_layer": -2,
              "vision_feature_select_strategy": "default",
              "vocab_size": 32064
            }
            """;

    /** liuhaotian/llava-v1.5-7b's config.json (original LLaVA repository layout). */
    static final String LLAVA_ORIGINAL_7B = """
            {
              "_name_or_path": "./checkpoints/vicuna-7b-v1-5",
              "architectures": ["LlavaLlamaForCausalLM"],
              "bos_token_id": 1, "eos_token_id": 2, "freeze_mm_mlp_adapter": false, "hidden_act": "silu",
              "hidden_size": 4096, "image_aspect_ratio": "pad", "initializer_range": 0.02, "intermediate_size": 11008,
              "max_length": 4096, "max_position_embeddings": 4096, "mm_hidden_size": 1024,
              "mm_projector_type": "mlp2x_gelu", "mm_use_im_patch_token": false, "mm_use_im_start_end": false,
              "mm_vision_select_feature": "patch", "mm_vision_select_layer": -2,
              "mm_vision_tower": "openai/clip-vit-large-patch14-336", "model_type": "llava",
              "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 32, "pad_token_id": 0,
              "pretraining_tp": 1, "rms_norm_eps": 1e-05, "rope_scaling": null, "tie_word_embeddings": false,
              "torch_dtype": "float16", "transformers_version": "4.31.0", "tune_mm_mlp_adapter": false,
              "use_cache": true, "use_mm_proj": true, "vocab_size": 32000
            }
            """;

    /** openai/clip-vit-large-patch14-336's config.json, vision part (a full CLIPModel config). */
    static final String CLIP_L_336 = """
            {"architectures": ["CLIPModel"], "model_type": "clip", "projection_dim": 768,
             "text_config": {"hidden_size": 768, "num_hidden_layers": 12},
             "vision_config": {"hidden_size": 1024, "image_size": 336, "intermediate_size": 4096,
                               "num_attention_heads": 16, "num_hidden_layers": 24, "patch_size": 14,
                               "projection_dim": 768, "dropout": 0.0}}
            """;

    private Path write(String sub, String json) throws Exception {
        Path d = Files.createDirectories(dir.resolve(sub));
        Files.writeString(d.resolve("config.json"), json);
        return d;
    }

    @Test
    void llavaHfConfigGetsTransformersDefaults() throws Exception {
        ModelConfig c = ModelConfig.load(write("hf", LLAVA_HF_7B));
        assertEquals(ModelFamily.LLAVA_HF, c.family());
        LlamaConfig t = c.text();
        assertEquals(4096, t.hiddenSize());
        assertEquals(11008, t.intermediateSize());
        assertEquals(32, t.numHiddenLayers());
        assertEquals(32, t.numAttentionHeads());
        assertEquals(32, t.numKeyValueHeads(), "num_key_value_heads defaults to num_attention_heads");
        assertEquals(128, t.headDim());
        assertEquals(32064, t.vocabSize());
        assertEquals("silu", t.hiddenAct());
        assertEquals(10000.0, t.ropeTheta());
        assertEquals(1e-5, t.rmsNormEps());
        assertEquals(4096, t.maxPositionEmbeddings());
        assertNull(t.ropeScaling());
        assertEquals(List.of(2), t.eosTokenIds());
        ClipVisionConfig v = c.vision();
        assertEquals(1024, v.hiddenSize());
        assertEquals("quick_gelu", v.hiddenAct(), "CLIP's default activation");
        assertEquals(1e-5, v.layerNormEps());
        assertEquals(3, v.numChannels());
        assertEquals(576, v.patchCount());
        MultimodalConfig mm = c.multimodal();
        assertEquals(32000, mm.imageTokenIndex());
        assertEquals(-2, mm.visionFeatureLayer());
        assertEquals("default", mm.visionFeatureSelectStrategy());
        assertEquals("gelu", mm.projectorHiddenAct());
        assertEquals(2, mm.projectorDepth());
        assertTrue(c.extraFields().containsKey("ignore_index"), "unknown fields are kept");
        assertTrue(c.extraFields().containsKey("pad_token_id"));
    }

    /**
     * llava-hf/llava-v1.6-mistral-7b-hf's text_config as the hub has it: MistralConfig's defaults for what it omits
     * (num_attention_heads 32, hidden 4096) and sliding_window written as null (Mistral v0.2: no window).
     */
    @Test
    void mistralTextConfigGetsMistralDefaultsAndItsWindow() throws Exception {
        ModelConfig c = ModelConfig.load(write("mistral", """
                {"model_type": "llava_next", "architectures": ["LlavaNextForConditionalGeneration"],
                 "image_grid_pinpoints": [[336, 672], [672, 336], [672, 672], [1008, 336], [336, 1008]],
                 "text_config": {"architectures": ["MistralForCausalLM"], "model_type": "mistral",
                  "rms_norm_eps": 1e-05, "rope_theta": 1000000.0, "sliding_window": null, "vocab_size": 32064}}"""));
        LlamaConfig t = c.text();
        assertEquals(14336, t.intermediateSize());
        assertEquals(8, t.numKeyValueHeads());
        assertEquals(131072, t.maxPositionEmbeddings());
        assertEquals(1_000_000.0, t.ropeTheta());
        assertNull(t.slidingWindow(), "sliding_window: null means full attention");
        ModelConfig windowed = ModelConfig.load(write("mistral-window", """
                {"model_type": "llava_mistral", "mm_vision_tower": "openai/clip-vit-large-patch14-336",
                 "hidden_size": 256, "num_attention_heads": 16}"""));
        assertEquals(4096, windowed.text().slidingWindow(), "MistralConfig's default window");
        assertEquals(2, windowed.text().queryGroupSize(), "MistralConfig's 8 KV heads by default");
        assertNull(ModelConfig.load(write("llama", "{\"model_type\": \"llama\", \"sliding_window\": 16}"))
                .text().slidingWindow(), "a LLaMA has no window");
    }

    @Test
    void llavaHfWithoutVisionConfigUsesClipL336AndAcceptsImageTokenId() throws Exception {
        ModelConfig c = ModelConfig.load(write("bare", """
                {"model_type": "llava", "image_token_id": 32001, "text_config": {"hidden_size": 64,
                 "num_attention_heads": 4, "num_key_value_heads": 2}}"""));
        assertEquals(ClipVisionConfig.CLIP_VIT_L_14_336, c.vision());
        assertEquals(32001, c.multimodal().imageTokenIndex());
        assertEquals(2, c.text().queryGroupSize());
        assertEquals(16, c.text().headDim());
    }

    @Test
    void originalLlavaConfigFindsItsTowerByPathOrOverride() throws Exception {
        Path model = write("llava-v1.5-7b", LLAVA_ORIGINAL_7B);
        ModelConfig noTower = ModelConfig.load(model);
        assertEquals(ModelFamily.LLAVA_ORIGINAL, noTower.family());
        assertNull(noTower.vision(), "the hub id is not on disk and nothing is downloaded");
        assertEquals("openai/clip-vit-large-patch14-336", noTower.multimodal().visionTower());
        assertEquals(-200, noTower.multimodal().imageTokenIndex());
        assertEquals("pad", noTower.multimodal().imageAspectRatio());
        assertEquals("default", noTower.multimodal().visionFeatureSelectStrategy());

        Path tower = write("clip-l-336", CLIP_L_336);
        ModelConfig withTower = ModelConfig.load(model, tower);
        assertEquals(336, withTower.vision().imageSize());
        assertEquals(24, withTower.vision().numHiddenLayers());
        assertEquals("quick_gelu", withTower.vision().hiddenAct());
        assertEquals(tower, withTower.visionTowerDirectory());

        // mm_vision_tower naming a directory relative to the model directory is found without a flag.
        Files.createDirectories(model.resolve("openai/clip-vit-large-patch14-336"));
        Files.writeString(model.resolve("openai/clip-vit-large-patch14-336/config.json"), CLIP_L_336);
        assertEquals(1024, ModelConfig.load(model).vision().hiddenSize());
    }

    @Test
    void plainLlamaWithRopeScalingAndEosList() throws Exception {
        ModelConfig c = ModelConfig.load(write("llama", """
                {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 2048,
                 "num_attention_heads": 32, "num_key_value_heads": 4, "intermediate_size": 5632,
                 "num_hidden_layers": 22, "rope_theta": 500000.0, "eos_token_id": [2, 7],
                 "rope_scaling": {"type": "linear", "factor": 2.0}, "my_custom_field": {"a": 1}}"""));
        assertEquals(ModelFamily.LLAMA, c.family());
        assertEquals(8, c.text().queryGroupSize());
        assertEquals(64, c.text().headDim());
        assertEquals(1e-6, c.text().rmsNormEps(), "LlamaConfig's default eps");
        assertEquals("linear", c.text().ropeScaling().type());
        assertEquals(2.0, c.text().ropeScaling().factor());
        assertEquals(List.of(2, 7), c.text().eosTokenIds());
        assertTrue(c.extraFields().containsKey("my_custom_field"));
        assertNull(c.vision());
    }

    @Test
    void transformersFiveRopeParameters() throws Exception {
        ModelConfig c = ModelConfig.load(write("v5", """
                {"model_type": "llama", "hidden_size": 64, "num_attention_heads": 4,
                 "rope_parameters": {"rope_type": "default", "rope_theta": 123.0}}"""));
        assertEquals(123.0, c.text().ropeTheta());
        assertNull(c.text().ropeScaling());
    }

    @Test
    void badConfigsNameFileAndField() throws Exception {
        assertMentions(assertThrows(ConfigException.class, () -> ModelConfig.load(write("m1", "{\"hidden_size\": "))).getMessage(),
                "config.json", "not valid JSON");
        assertMentions(assertThrows(ConfigException.class, () -> ModelConfig.load(write("m2", "[1]"))).getMessage(),
                "config.json", "expected a JSON object");
        assertMentions(assertThrows(ConfigException.class, () -> ModelConfig.load(write("m3",
                "{\"model_type\": \"llama\", \"hidden_size\": \"big\"}"))).getMessage(), "config.json: hidden_size", "expected an integer");
        assertMentions(assertThrows(ConfigException.class, () -> ModelConfig.load(write("m4",
                "{\"model_type\": \"llava\", \"text_config\": {\"num_attention_heads\": 0}}"))).getMessage(),
                "text_config.num_attention_heads", "positive");
        assertMentions(assertThrows(ConfigException.class, () -> ModelConfig.load(write("m5",
                "{\"model_type\": \"llama\", \"hidden_size\": 64, \"num_attention_heads\": 8, \"num_key_value_heads\": 3}"))).getMessage(),
                "num_key_value_heads", "not a multiple");
        assertMentions(assertThrows(ConfigException.class, () -> ModelConfig.load(write("m6",
                "{\"model_type\": \"bert\"}"))).getMessage(), "model_type", "'bert'", "not a LLaMA or LLaVA model");
        assertMentions(assertThrows(ConfigException.class, () -> ModelConfig.load(write("m7",
                "{\"model_type\": \"llama\", \"rope_scaling\": {\"factor\": 2}}"))).getMessage(), "rope_scaling.rope_type");
        assertMentions(assertThrows(ConfigException.class, () -> ModelConfig.load(dir.resolve("absent"))).getMessage(),
                "absent", "no such model directory");
        assertMentions(assertThrows(ConfigException.class, () -> ModelConfig.load(Files.createDirectories(dir.resolve("noconfig"))))
                .getMessage(), "config.json", "file not found");
        assertMentions(assertThrows(ConfigException.class, () -> ModelConfig.load(write("m8",
                "{\"mm_vision_tower\": \"x\", \"mm_projector_type\": \"resampler\"}"))).getMessage(),
                "mm_projector_type", "unsupported projector 'resampler'");
        assertMentions(assertThrows(ConfigException.class, () -> ModelConfig.load(write("m9",
                "{\"model_type\": \"llama\", \"a\": 1, \"a\": 2}"))).getMessage(), "Duplicate");
    }
}
