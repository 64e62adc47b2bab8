package dev.mod4j.loaders.config;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

import static dev.mod4j.loaders.MessageAssertions.assertMentions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Every config field that changes the computation is honoured or refused by name (README, "Config fields and what
 * mod4j does with them"); size-like fields are bounded before anything is allocated.
 */
class ConfigFieldFateTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private int count;

    private Path write(String base, Consumer<ObjectNode> edit) throws Exception {
        ObjectNode root = (ObjectNode) JSON.readTree(base);
        edit.accept(root);
        Path d = Files.createDirectories(dir.resolve("m" + count++));
        Files.writeString(d.resolve("config.json"), JSON.writeValueAsString(root));
        return d;
    }

    private String refused(String base, Consumer<ObjectNode> edit) throws Exception {
        Path d = write(base, edit);
        return assertThrows(ConfigException.class, () -> ModelConfig.load(d)).getMessage();
    }

    private static ObjectNode text(ObjectNode root) {
        return (ObjectNode) root.get("text_config");
    }

    private static ObjectNode vision(ObjectNode root) {
        return (ObjectNode) root.get("vision_config");
    }

    @Test
    void sizeLikeFieldsAreBoundedByName() throws Exception {
        for (int huge : new int[]{100_000_000, Integer.MAX_VALUE}) {
            assertMentions(refused(ModelConfigTest.LLAVA_HF_7B, r -> text(r).put("max_position_embeddings", huge)),
                    "text_config.max_position_embeddings", "is " + huge, "over the limit");
        }
        assertMentions(refused(ModelConfigTest.LLAVA_HF_7B, r -> text(r).put("vocab_size", 1 << 30)),
                "text_config.vocab_size", "over the limit");
        assertMentions(refused(ModelConfigTest.LLAVA_HF_7B, r -> text(r).put("num_hidden_layers", 100_000)),
                "text_config.num_hidden_layers", "over the limit");
        assertMentions(refused(ModelConfigTest.LLAVA_HF_7B, r -> text(r).put("intermediate_size", 1 << 30)),
                "text_config.intermediate_size", "over the limit");
        assertMentions(refused(ModelConfigTest.LLAVA_HF_7B, r -> vision(r).put("image_size", 1 << 20)),
                "vision_config.image_size", "over the limit");
        assertMentions(refused(ModelConfigTest.LLAVA_HF_7B, r -> text(r).put("head_dim", 1 << 20)),
                "text_config.head_dim", "at most 4096");
        // The largest context that is allowed is read, and costs nothing until positions are used (RotaryEmbedding).
        ModelConfig big = ModelConfig.load(write(ModelConfigTest.LLAVA_HF_7B,
                r -> text(r).put("max_position_embeddings", LlamaConfig.MAX_POSITION_EMBEDDINGS)));
        assertEquals(LlamaConfig.MAX_POSITION_EMBEDDINGS, big.text().maxPositionEmbeddings());
    }

    @Test
    void activationsOfAct2FnAreHonouredAndOthersRefusedByName() throws Exception {
        for (String act : Activations.SUPPORTED) {
            ModelConfig c = ModelConfig.load(write(ModelConfigTest.LLAVA_HF_7B, r -> {
                text(r).put("hidden_act", act);
                vision(r).put("hidden_act", act);
                r.put("projector_hidden_act", act);
            }));
            assertEquals(act, c.text().hiddenAct());
            assertEquals(act, c.vision().hiddenAct());
            assertEquals(act, c.multimodal().projectorHiddenAct());
        }
        assertMentions(refused(ModelConfigTest.LLAVA_HF_7B, r -> text(r).put("hidden_act", "gelu_bogus")),
                "text_config.hidden_act", "activation 'gelu_bogus' is not supported", "silu");
        assertMentions(refused(ModelConfigTest.LLAVA_HF_7B, r -> vision(r).put("hidden_act", "prelu")),
                "vision_config.hidden_act", "'prelu' is not supported");
        assertMentions(refused(ModelConfigTest.LLAVA_HF_7B, r -> r.put("projector_hidden_act", "xielu")),
                "projector_hidden_act", "'xielu' is not supported");
        assertMentions(refused(ModelConfigTest.LLAVA_ORIGINAL_7B, r -> r.put("hidden_act", "softsign")),
                "hidden_act", "'softsign' is not supported");
    }

    /** LLaVA-NeXT settings mod4j does not implement, refused by name when the anyres side is read. */
    private String refusedAnyres(String base, Consumer<ObjectNode> edit) throws Exception {
        ModelConfig config = ModelConfig.load(write(base, edit));
        return assertThrows(ConfigException.class, () -> AnyresSettings.of(config, null)).getMessage();
    }

    @Test
    void llavaNextVariantsMod4jDoesNotImplementAreRefusedByName() throws Exception {
        assertMentions(refusedAnyres(ModelConfigTest.LLAVA_HF_7B, r -> r.put("model_type", "llava_next")
                        .put("image_grid_pinpoints", "(1x1),...,(6x6)")),
                "image_grid_pinpoints", "LLaVA-OneVision");
        assertMentions(refusedAnyres(ModelConfigTest.LLAVA_HF_7B, r -> r.put("model_type", "llava_next")
                        .putArray("image_grid_pinpoints").addArray().add(336).add(500)),
                "image_grid_pinpoints", "multiples");
        // LLaVA-1.5 (llava-hf) is no anyres model.
        assertNull(AnyresSettings.of(ModelConfig.load(write(ModelConfigTest.LLAVA_HF_7B, r -> { })), null));
    }

    @Test
    void otherComputationChangingValuesAreRefusedByName() throws Exception {
        assertMentions(refused(ModelConfigTest.LLAVA_ORIGINAL_7B, r -> r.put("mm_use_im_start_end", true)),
                "mm_use_im_start_end", "true is not supported");
        assertMentions(refused(ModelConfigTest.LLAVA_HF_7B, r -> vision(r).put("num_channels", 4)),
                "vision_config.num_channels", "4 is not supported");
        assertMentions(refused(ModelConfigTest.LLAVA_HF_7B, r -> vision(r).put("model_type", "siglip_vision_model")),
                "vision_config.model_type", "'siglip_vision_model' is not supported");
        assertMentions(refused(ModelConfigTest.LLAVA_HF_7B, r -> text(r).put("model_type", "qwen2")),
                "text_config.model_type", "'qwen2' is not supported");
        assertMentions(refused(ModelConfigTest.LLAVA_ORIGINAL_7B, r -> r.put("mm_projector_type", "qformer")),
                "mm_projector_type", "unsupported projector 'qformer'");
        assertMentions(refused(ModelConfigTest.LLAVA_HF_7B, r -> r.put("vision_feature_select_strategy", "cls")),
                "vision_feature_select_strategy", "expected 'default' or 'full'");
    }
}
