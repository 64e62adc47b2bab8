package dev.mod4j.robustness;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mod4j.loaders.config.LlamaConfig;
import dev.mod4j.runtime.backend.RotaryEmbedding;
import dev.mod4j.runtime.model.LlamaModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Tables are sized by the positions a session uses, not by the context a config claims: a config claiming
 * 2^24 positions costs nothing more and computes the same logits.
 */
class ContextSizedTablesTest {
    @TempDir
    Path tmp;

    private static LlamaConfig config(int maxPositions) {
        return new LlamaConfig(64, 32, 64, 1, 4, 4, 8, "silu", maxPositions, 1e-5, 10000.0, null, false, 1,
                List.of(2), null, false, false, null);
    }

    @Test
    void rotaryTablesGrowToThePositionsUsedWithTheSameValues() {
        RotaryEmbedding whole = new RotaryEmbedding(config(8192), "small");
        whole.reserve(8192);
        RotaryEmbedding claimed = new RotaryEmbedding(config(LlamaConfig.MAX_POSITION_EMBEDDINGS), "huge");
        for (int position : new int[]{0, 255, 256, 5000, 8191, 17}) {
            float[] a = new float[32];
            float[] b = new float[32];
            for (int i = 0; i < a.length; i++) {
                a[i] = b[i] = (float) Math.sin(i + 1);
            }
            whole.rotate(a, 0, 4, position);
            claimed.rotate(b, 0, 4, position);
            assertArrayEquals(a, b, "position " + position);
        }
        assertThrows(IllegalArgumentException.class, () -> whole.rotate(new float[32], 0, 4, 8192));
    }

    @Test
    void aModelClaimingTheLargestContextComputesTheSameLogits() throws Exception {
        Path golden = Path.of(getClass().getResource("/golden/llama-gqa-f32/config.json").toURI()).getParent();
        Path huge = Files.createDirectories(tmp.resolve("huge"));
        for (String file : List.of("model.safetensors", "tokenizer.json")) {
            if (Files.exists(golden.resolve(file))) {
                Files.copy(golden.resolve(file), huge.resolve(file));
            }
        }
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(golden.resolve("config.json").toFile());
        config.put("max_position_embeddings", LlamaConfig.MAX_POSITION_EMBEDDINGS);
        json.writeValue(huge.resolve("config.json").toFile(), config);
        int[] tokens = {1, 20, 31, 42, 53, 64, 75};
        try (LlamaModel a = LlamaModel.load(golden); LlamaModel b = LlamaModel.load(huge)) {
            int vocab = a.config().vocabSize();
            float[] expected = new float[tokens.length * vocab];
            float[] actual = new float[tokens.length * vocab];
            a.newSession(tokens.length).prefill(tokens, expected);
            b.newSession(tokens.length).prefill(tokens, actual);
            assertArrayEquals(expected, actual);
        }
    }
}
