package dev.mod4j.loaders.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Compares with golden.json: the ids SentencePiece itself gives for the model that llama-mini's
 * tokenizer.json was converted from (see the fixture's README.md and generate_fixture.py).
 */
class TokenizerGoldenTest {
    private final Tokenizer llama = TokenizerFiles.fixture();
    private final JsonNode golden = TokenizerFiles.readJson(TokenizerFiles.fixtureDir().resolve("golden.json"));

    @TestFactory
    List<DynamicTest> encodesAsSentencePieceDoes() {
        assertEquals(TokenizerFiles.IMAGE, golden.get("image_id").intValue());
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : golden.get("cases")) {
            String text = c.get("text").textValue();
            int[] expected = StreamSupport.stream(c.get("ids").spliterator(), false).mapToInt(JsonNode::intValue)
                    .toArray();
            tests.add(DynamicTest.dynamicTest(JsonFields.quote(text),
                    () -> assertArrayEquals(expected, llama.encode(text, false))));
        }
        return tests;
    }

    @TestFactory
    List<DynamicTest> decodesBackToTheText() {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : golden.get("cases")) {
            String text = c.get("text").textValue();
            if (text.contains("<image>") || text.contains("▁")) {
                continue; // not round-trip text: see TokenizerRoundTripTest
            }
            tests.add(DynamicTest.dynamicTest(JsonFields.quote(text),
                    () -> assertEquals(text, llama.decode(llama.encode(text, true), true))));
        }
        return tests;
    }
}
