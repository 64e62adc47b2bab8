package dev.mod4j.golden;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mod4j.loaders.image.ImageDecoder;
import dev.mod4j.runtime.accounting.GammaModLayerMode;
import dev.mod4j.runtime.arank.AttentionRank;
import dev.mod4j.runtime.llava.MultimodalModel;
import dev.mod4j.runtime.llava.PreprocessedImage;
import dev.mod4j.runtime.prompt.PromptRows;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * ARank on the stage-1 (dense, router-less) tiny LLaVA-HR against γ-MoD's own {@code compute_attention_rank}
 * (gamma_mod/model/language_model/llava_llama.py) run on the same model in PyTorch
 * (tests/golden/generate_llava_hr_arank_golden.py): every head's rank over the 1036-row prompt with 1024 image rows.
 * Then the MoD layers {@code mod4j arank} proposes from them (its lowest-ARank rule, computed the same way by the
 * generator) and γ-MoD's released {@code arank_mod} rule for this depth.
 */
class LlavaHrArankGoldenTest {
    @Test
    void headRanksOnTheStage1ModelMatchGammaModsComputeAttentionRank() throws Exception {
        Path dir = Path.of(getClass().getResource("/golden/llava-hr/arank.json").toURI()).getParent();
        JsonNode golden = new ObjectMapper().readTree(dir.resolve("arank.json").toFile());
        try (MultimodalModel model = MultimodalModel.load(dir.resolve(golden.get("model").asText()))) {
            var config = model.decoder().files().config();
            assertEquals("llava", config.modelType(), "the stage-1 model is γ-MoD's dense LlavaLlamaForCausalLM");
            assertFalse(config.extraFields().containsKey("mod"), "the stage-1 model has no MoD settings");
            assertEquals(1024, model.rowsPerImage());
            PreprocessedImage image = model.preprocessImage(ImageDecoder.decode(dir.resolve(golden.get("image").asText())));
            PromptRows prompt = model.promptWithImages(ScheduleGoldenTest.ints(golden.get("input_ids")), List.of(image));
            assertEquals(golden.get("sequence_length").asInt(), prompt.length());
            int[][] ranks = AttentionRank.headRanks(model.decoder(), prompt);
            JsonNode layers = golden.get("layers");
            assertEquals(layers.size(), ranks.length);
            for (int layer = 0; layer < ranks.length; layer++) {
                JsonNode heads = layers.get(layer).get("head_ranks");
                assertEquals(heads.size(), ranks[layer].length);
                for (int h = 0; h < ranks[layer].length; h++) {
                    assertEquals(heads.get(h).asInt(), ranks[layer][h], "layer " + layer + " head " + h);
                }
            }
            // Exact: the golden's values are means of integers over 4 heads.
            double[] arank = Arrays.stream(ranks).mapToDouble(h -> Arrays.stream(h).average().orElseThrow()).toArray();
            for (int layer = 0; layer < arank.length; layer++) {
                assertEquals(layers.get(layer).get("arank").asDouble(), arank[layer], 0.0, "ARank of layer " + layer);
            }
            for (JsonNode proposal : golden.get("proposed")) {
                String spec = "gmod:layers=" + Arrays.stream(AttentionRank.lowestLayers(arank,
                        proposal.get("mod_fraction").asDouble())).mapToObj(Integer::toString)
                        .collect(Collectors.joining(","));
                assertEquals(proposal.get("spec").asText(), spec, "proposal for " + proposal.get("mod_fraction"));
            }
            assertArrayEquals(ScheduleGoldenTest.ints(golden.get("released_arank_mod")),
                    GammaModLayerMode.ARANK_MOD.modLayers(arank.length), "released arank_mod rule");
        }
    }
}
