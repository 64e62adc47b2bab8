package dev.mod4j.loaders.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compares with spm/golden.json, written by spm/generate.py: SentencePiece 0.1.97's own
 * {@code encode}/{@code decode} on two tiny trained BPE models, and transformers' slow
 * LlamaTokenizer (v4.37.2 logic, run on the real SentencePiece) with legacy true and false.
 */
class SentencePieceGoldenTest {
    static final Path DIR = spmDir();
    private static final JsonNode GOLDEN = TokenizerFiles.readJson(DIR.resolve("golden.json"));

    @TempDir
    Path temp;

    static Path spmDir() {
        try {
            return Path.of(SentencePieceGoldenTest.class.getResource("/tokenizer/spm/tokenizer.model").toURI())
                    .getParent();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static int[] ints(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).mapToInt(JsonNode::intValue).toArray();
    }

    @TestFactory
    List<DynamicTest> encodesAndDecodesAsSentencePieceDoes() {
        List<DynamicTest> tests = new ArrayList<>();
        for (String file : List.of("tokenizer.model", "tokenizer-default-ws.model")) {
            SentencePieceModel model = SentencePieceModel.read(DIR.resolve(file));
            SentencePieceBpe bpe = new SentencePieceBpe(model);
            for (JsonNode c : GOLDEN.get(file)) {
                String text = c.get("text").textValue();
                int[] ids = ints(c.get("ids"));
                tests.add(DynamicTest.dynamicTest(file + " " + JsonFields.quote(text), () -> {
                    IntList out = new IntList(4);
                    bpe.encode(text, model.addDummyPrefix, out);
                    assertArrayEquals(ids, out.toArray());
                    for (int i = 0; i < ids.length; i++) {
                        assertEquals(c.get("pieces").get(i).textValue(), model.pieces[ids[i]]);
                    }
                    assertEquals(c.get("decoded").textValue(), bpe.decode(ids, 0, ids.length));
                }));
            }
        }
        return tests;
    }

    @TestFactory
    List<DynamicTest> encodesAsTheSlowLlamaTokenizerDoes() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (String legacy : List.of("true", "false", "absent")) {
            Tokenizer tokenizer = Tokenizer.load(modelDir(legacy));
            assertEquals(Tokenizer.Kind.SENTENCEPIECE, tokenizer.kind());
            // legacy absent means true in transformers 4.37.2.
            String key = "slow legacy=" + (legacy.equals("absent") ? "true" : legacy);
            for (JsonNode c : GOLDEN.get(key)) {
                String text = c.get("text").textValue();
                tests.add(DynamicTest.dynamicTest("legacy " + legacy + " " + JsonFields.quote(text),
                        () -> assertArrayEquals(ints(c.get("ids")), tokenizer.encode(text,
                                tokenizer.addBosByDefault()))));
            }
        }
        return tests;
    }

    /** A copy of tokenizer.model with a tokenizer_config.json saying legacy true, false, or nothing. */
    Path modelDir(String legacy) throws IOException {
        Path dir = Files.createDirectories(temp.resolve("legacy-" + legacy));
        Files.copy(DIR.resolve("tokenizer.model"), dir.resolve("tokenizer.model"));
        String config = legacy.equals("absent") ? "{\"add_bos_token\": true}"
                : "{\"add_bos_token\": true, \"add_eos_token\": false, \"legacy\": " + legacy + "}";
        Files.writeString(dir.resolve("tokenizer_config.json"), config);
        return dir;
    }

    @Test
    void slowTokenizerDecodesPiecesAsSentencePieceAndSpecialTokensAsText() throws IOException {
        Tokenizer tokenizer = Tokenizer.load(modelDir("false"));
        for (JsonNode c : GOLDEN.get("tokenizer.model")) {
            int[] ids = ints(c.get("ids"));
            assertEquals(c.get("decoded").textValue(), tokenizer.decode(ids, true));
            // Streaming gives the same text, whatever the byte-fallback runs.
            StreamingDecoder stream = tokenizer.streamingDecoder(true);
            StringBuilder streamed = new StringBuilder();
            for (int id : ids) {
                streamed.append(stream.next(id));
            }
            assertEquals(c.get("decoded").textValue(), streamed.append(stream.finish()).toString());
        }
        int[] ids = tokenizer.encode("Hello</s>", true);
        assertEquals("Hello", tokenizer.decode(ids, true));
        assertEquals("<s>Hello</s>", tokenizer.decode(ids, false));
        assertTrue(tokenizer.isSpecial(1));
        assertEquals(1, tokenizer.bosId().getAsInt());
        assertEquals(2, tokenizer.eosId().getAsInt());
        assertEquals(0, tokenizer.unkId().getAsInt());
        assertEquals(400, tokenizer.vocabSize());
        assertEquals("<0x0A>", tokenizer.tokenText(16));
        assertEquals(16, tokenizer.idOf("<0x0A>").getAsInt());
    }
}
