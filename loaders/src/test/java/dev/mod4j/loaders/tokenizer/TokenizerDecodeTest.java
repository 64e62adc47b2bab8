package dev.mod4j.loaders.tokenizer;

import static dev.mod4j.loaders.tokenizer.TokenizerFiles.BOS;
import static dev.mod4j.loaders.tokenizer.TokenizerFiles.EOS;
import static dev.mod4j.loaders.tokenizer.TokenizerFiles.IMAGE;
import static dev.mod4j.loaders.tokenizer.TokenizerFiles.byteId;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizerDecodeTest {
    private final Tokenizer llama = TokenizerFiles.fixture();

    private int id(String token) {
        return llama.idOf(token).orElseThrow();
    }

    @Test
    void stripRemovesOnlyTheOneLeadingSpaceOfTheWholeText() {
        assertEquals("the", llama.decode(new int[] {262}));
        assertEquals("the the", llama.decode(new int[] {262, 262}));
        assertEquals(" the", llama.decode(new int[] {id("▁"), 262}));
        // A special token first: nothing to strip, and the "▁" of "▁the" shows as a space (HF: "<s> the").
        assertEquals("<s> the", llama.decode(new int[] {BOS, 262}));
        assertEquals("the", llama.decode(new int[] {BOS, 262}, true));
    }

    @Test
    void skipSpecialDropsAddedSpecialTokensOnly() {
        int[] ids = llama.encode("USER: <image>\nhi</s>", true);
        assertEquals("<s> USER: <image> \nhi</s>", llama.decode(ids));
        assertEquals("USER:  \nhi", llama.decode(ids, true));
    }

    @Test
    void byteTokensAssembleIntoUtf8Characters() {
        int[] cat = {id("▁"), byteId(0xF0), byteId(0x9F), byteId(0x90), byteId(0x88)};
        assertEquals("🐈", llama.decode(cat));
        int[] cjk = {byteId(0xE5), byteId(0x8F), byteId(0xAB), id("a")};
        assertEquals("叫a", llama.decode(cjk));
    }

    @Test
    void invalidByteRunsBecomeOneReplacementCharacterPerByte() {
        // As HF's ByteFallback: a run that is not valid UTF-8 as a whole gives U+FFFD per byte,
        // even for the bytes of the run that would be valid on their own.
        assertEquals("\uFFFD\uFFFDa", llama.decode(new int[] {byteId(0xE5), byteId(0x8F), id("a")}));
        assertEquals("\uFFFD", llama.decode(new int[] {byteId(0xFF)}));
        assertEquals("\uFFFD\uFFFD", llama.decode(new int[] {byteId(0x41), byteId(0xFF)}));
        assertEquals("A a", llama.decode(new int[] {byteId(0x41), id("▁a")}));
    }

    @Test
    void idsThatAreNoTokenAreSkippedAsHfDoes() {
        assertEquals("the", llama.decode(new int[] {-1, 262, 601, 1_000_000}));
        assertEquals("", llama.decode(new int[0]));
    }

    @Test
    void otherDecoders(@TempDir Path dir) {
        // The Metaspace decoder: "▁" is a space, except in the first token, where it is dropped.
        ObjectNode json = TokenizerFiles.fixtureJson();
        json.putObject("decoder").put("type", "Metaspace").put("replacement", "▁").put("prepend_scheme", "always");
        Tokenizer metaspace = TokenizerFiles.load(dir.resolve("metaspace"), json);
        assertEquals("the the", metaspace.decode(new int[] {262, 262}));
        assertEquals(" the ", metaspace.decode(new int[] {id("▁"), 262, id("▁")}));
        // No decoder: HF joins the token strings with spaces.
        json.putNull("decoder");
        Tokenizer none = TokenizerFiles.load(dir.resolve("none"), json);
        assertEquals("▁the <0x0A> ▁the", none.decode(new int[] {262, byteId(0x0A), 262}));
    }

    @Test
    void roundTripsRandomUnicodeText() {
        // Exact for any text without added-token strings and without U+2581: the one "▁" the
        // normalizer prepends decodes to the one space the decoder's Strip removes.
        Random random = new Random(20240601);
        for (int i = 0; i < 2000; i++) {
            String text = RandomText.of(random, 40);
            assertEquals(text, llama.decode(llama.encode(text, false)), JsonFields.quote(text));
            assertEquals(text, llama.decode(llama.encode(text, true), true), JsonFields.quote(text));
        }
    }

    @Test
    void roundTripsEdgeCases() {
        for (String text : List.of("", " ", "  ", "\n", "\t", " \n ", "a ", " a", "  a  b  ", "\u0000",
                "\r\n", "e\u0301", "👩‍👩‍👧", "\uFFFD", "🏳️‍🌈 flag", "x\u200By")) {
            assertEquals(text, llama.decode(llama.encode(text, false)), JsonFields.quote(text));
        }
    }

    @Test
    void textAfterAnAddedTokenDecodesWithTheSpaceItsPrefixStandsFor() {
        assertEquals("a<image> b", llama.decode(llama.encode("a<image>b", false)));
    }

    @Test
    void streamingDecoderOutputEqualsFullDecode() {
        Random random = new Random(99);
        for (int i = 0; i < 500; i++) {
            String text = RandomText.of(random, 30);
            if (random.nextInt(4) == 0) {
                text = text + "<image>" + RandomText.of(random, 10) + "</s>";
            }
            int[] ids = llama.encode(text, random.nextBoolean());
            for (boolean skipSpecial : new boolean[] {false, true}) {
                StreamingDecoder stream = llama.streamingDecoder(skipSpecial);
                StringBuilder printed = new StringBuilder();
                for (int id : ids) {
                    String chunk = stream.next(id);
                    // A chunk never ends inside a character.
                    assertFalse(!chunk.isEmpty() && Character.isHighSurrogate(chunk.charAt(chunk.length() - 1)));
                    printed.append(chunk);
                }
                printed.append(stream.finish());
                assertEquals(llama.decode(ids, skipSpecial), printed.toString(), JsonFields.quote(text));
            }
        }
    }

    @Test
    void streamingDecoderHoldsAMultiByteCharacterUntilItIsComplete() {
        StreamingDecoder stream = llama.streamingDecoder();
        List<String> chunks = new ArrayList<>();
        for (int id : new int[] {262, id("▁"), byteId(0xF0), byteId(0x9F), byteId(0x98), byteId(0x80),
                byteId(0xE4), byteId(0xB8), byteId(0xAD), 262, EOS}) {
            chunks.add(stream.next(id));
        }
        chunks.add(stream.finish());
        assertEquals(List.of("the", " ", "", "", "", "😀", "", "", "中", " the", "</s>", ""), chunks);
    }

    @Test
    void streamingDecoderFlushesAnUnfinishedSequenceAtTheEnd() {
        StreamingDecoder stream = llama.streamingDecoder();
        assertEquals("the", stream.next(262));
        assertEquals("", stream.next(byteId(0xF0)));
        assertEquals("\uFFFD", stream.finish());
    }

    @Test
    void streamingDecoderSkipsSpecialTokensWhenAsked() {
        StreamingDecoder stream = llama.streamingDecoder(true);
        String printed = IntStream.of(BOS, 262, IMAGE, 262, EOS).mapToObj(stream::next)
                .reduce("", String::concat) + stream.finish();
        assertEquals(llama.decode(new int[] {BOS, 262, IMAGE, 262, EOS}, true), printed);
        assertEquals("the the", printed);
    }
}
