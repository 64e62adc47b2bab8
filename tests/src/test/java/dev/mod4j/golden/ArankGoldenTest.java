package dev.mod4j.golden;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mod4j.runtime.arank.AttentionRank;
import dev.mod4j.runtime.llava.MultimodalModel;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** γ-MoD's ARank against torch.linalg.matrix_rank on the reference's attention maps (generate_arank_golden.py). */
class ArankGoldenTest {
    @Test
    void headRanksMatchTorchMatrixRank() throws Exception {
        GoldenCase c = GoldenCase.load("llava-hf-f32");
        JsonNode expected = new ObjectMapper().readTree(c.directory().resolve("arank.json").toFile()).get("layers");
        try (MultimodalModel model = MultimodalModel.load(c.directory())) {
            var prompt = model.prompt(c.ints("input_ids"), List.of(c.array("pixel_values.npy").data()));
            int[][] ranks = AttentionRank.headRanks(model.decoder(), prompt);
            for (int layer = 0; layer < ranks.length; layer++) {
                JsonNode heads = expected.get(layer).get("head_ranks");
                for (int h = 0; h < ranks[layer].length; h++) {
                    assertEquals(heads.get(h).asInt(), ranks[layer][h], "layer " + layer + " head " + h);
                }
            }
            assertEquals(expected.get(5).get("arank").asDouble(), AttentionRank.of(model.decoder(), prompt)[5], 1e-12);
        }
    }
}
