package dev.mod4j.golden;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mod4j.loaders.image.ImageDecoder;
import dev.mod4j.loaders.npy.NpyArray;
import dev.mod4j.runtime.generate.PromptTemplate;
import dev.mod4j.runtime.generate.Sampler;
import dev.mod4j.runtime.llava.MultimodalModel;
import dev.mod4j.runtime.model.ContextLengthException;
import dev.mod4j.runtime.model.Session;
import dev.mod4j.runtime.prompt.PromptRows;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static dev.mod4j.loaders.FloatAssertions.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * llava-v1.6-mistral's shape in small (generate_next_golden.py): a MistralConfig text_config (rope_theta 1e6,
 * sliding window 284) against transformers' own model, up to the window; past it mod4j refuses by name. And the
 * original layout's {@code [INST] … [/INST]} prompt against LLaVA's conv_mistral_instruct itself.
 */
class LlavaNextMistralGoldenTest {
    private static Path next() throws Exception {
        return Path.of(LlavaNextMistralGoldenTest.class.getResource("/golden/next/summary.json").toURI()).getParent();
    }

    @Test
    void mistralDecoderMatchesTransformersUpToItsSlidingWindowAndRefusesBeyond() throws Exception {
        Path dir = next().resolve("llava-next-mistral-hf");
        JsonNode g = new ObjectMapper().readTree(dir.resolve("golden.json").toFile());
        try (MultimodalModel model = MultimodalModel.load(dir)) {
            assertEquals(1_000_000.0, model.decoder().config().ropeTheta());
            assertEquals(g.get("sliding_window").asInt(), model.decoder().config().slidingWindow());
            int[] ids = new int[g.get("input_ids").size()];
            Arrays.setAll(ids, i -> g.get("input_ids").get(i).asInt());
            PromptRows prompt = model.promptWithImages(ids, List.of(model.preprocessImage(
                    ImageDecoder.decode(dir.resolve(g.get("image").asText())))));
            assertEquals(g.get("prompt_length").asInt(), prompt.length());
            int vocab = model.decoder().config().vocabSize();
            float[] steps = NpyArray.read(dir.resolve("greedy_logits.npy")).data();
            Session session = model.decoder().newSession(prompt.length() + 8);
            float[] last = session.prefill(prompt, null);
            int within = g.get("steps_within_window").asInt();
            for (int s = 0; s < within; s++) {
                assertClose(Arrays.copyOfRange(steps, s * vocab, (s + 1) * vocab), last, 1e-4f, "step " + s);
                int token = Sampler.argmax(last);
                assertEquals(g.get("greedy_new_tokens").get(s).asInt(), token, "step " + s);
                if (s + 1 < within) {
                    last = session.decode(token);
                } else {
                    ContextLengthException e = assertThrows(ContextLengthException.class, () -> session.decode(token));
                    assertTrue(e.getMessage().startsWith("sliding_window: "), e.getMessage());
                }
            }
        }
    }

    @Test
    void mistralInstructIsLlavasConvMistralInstruct() throws Exception {
        JsonNode c = new ObjectMapper().readTree(next().resolve("conversations.json").toFile());
        String question = c.get("question").asText();
        assertEquals(c.get("mistral_instruct").asText(), PromptTemplate.MISTRAL_INSTRUCT.apply(question, 1));
        assertEquals(c.get("vicuna_v1").asText(), PromptTemplate.VICUNA_V1.apply(question, 1));
    }
}
