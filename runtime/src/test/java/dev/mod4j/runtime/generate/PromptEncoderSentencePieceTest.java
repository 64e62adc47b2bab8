package dev.mod4j.runtime.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mod4j.loaders.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Prompts with {@code <image>} for an original-layout LLaVA tokenizer (tokenizer.model only) give the ids of LLaVA's
 * {@code tokenizer_image_token} over transformers' slow LlamaTokenizer: the golden ids of loaders'
 * tokenizer/spm/generate.py, for legacy true and false.
 */
class PromptEncoderSentencePieceTest {
    private static final int LLAVA_IMAGE_TOKEN_INDEX = -200;

    @TempDir
    Path temp;

    @Test
    void imagePromptsMatchTokenizerImageToken() throws IOException {
        JsonNode golden;
        try (InputStream in = resource("golden.json")) {
            golden = new ObjectMapper().readTree(in);
        }
        for (String legacy : new String[]{"true", "false"}) {
            Path dir = Files.createDirectories(temp.resolve(legacy));
            try (InputStream in = resource("tokenizer.model")) {
                Files.copy(in, dir.resolve("tokenizer.model"));
            }
            Files.writeString(dir.resolve("tokenizer_config.json"), "{\"legacy\": " + legacy + "}");
            Tokenizer tokenizer = Tokenizer.load(dir);
            for (JsonNode c : golden.get("image prompts legacy=" + legacy)) {
                int[] expected = StreamSupport.stream(c.get("ids").spliterator(), false)
                        .mapToInt(JsonNode::intValue).toArray();
                assertArrayEquals(expected, PromptEncoder.encode(tokenizer, c.get("text").textValue(),
                        LLAVA_IMAGE_TOKEN_INDEX), "legacy " + legacy + ": " + c.get("text"));
            }
        }
    }

    private static InputStream resource(String name) {
        return PromptEncoderSentencePieceTest.class.getResourceAsStream("/tokenizer/spm/" + name);
    }
}
