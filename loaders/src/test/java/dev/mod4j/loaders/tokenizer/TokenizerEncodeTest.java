package dev.mod4j.loaders.tokenizer;

import static dev.mod4j.loaders.tokenizer.TokenizerFiles.BOS;
import static dev.mod4j.loaders.tokenizer.TokenizerFiles.EOS;
import static dev.mod4j.loaders.tokenizer.TokenizerFiles.IMAGE;
import static dev.mod4j.loaders.tokenizer.TokenizerFiles.byteId;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizerEncodeTest {
    private final Tokenizer llama = TokenizerFiles.fixture();

    @TempDir
    Path tmp;

    private int id(String token) {
        return llama.idOf(token).orElseThrow(() -> new AssertionError("no token " + token));
    }

    private int[] ids(String... tokens) {
        return java.util.Arrays.stream(tokens).mapToInt(this::id).toArray();
    }

    @Test
    void mergesApplyInRankOrderNotLeftToRight() {
        // "abc" normalizes to "▁abc" = symbols [▁, a, b, c]. Merge ranks: "b c" 0, "a b" 1, "a bc" 2.
        // Rank 0 goes first although "a b" is further left: [▁, a, bc]; then "a bc": [▁, abc].
        // Merging left to right instead would give [▁, ab, c].
        Tokenizer t = TokenizerFiles.load(tmp, TokenizerFiles.handMade(
                List.of("<unk>", "▁", "a", "b", "c", "ab", "bc", "abc"), List.of("b c", "a b", "a bc"), "<unk>"));
        assertArrayEquals(new int[] {1, 7}, t.encode("abc", false));
    }

    @Test
    void equalRanksMergeLeftmostFirst() {
        // "aaa" → [▁, a, a, a]; the pair "a a" occurs at positions 1 and 2 with the same rank: the
        // leftmost merges, [▁, aa, a], and then no pair is left ("aa a" is not a merge).
        Tokenizer t = TokenizerFiles.load(tmp, TokenizerFiles.handMade(
                List.of("<unk>", "▁", "a", "aa"), List.of("a a"), "<unk>"));
        assertArrayEquals(new int[] {1, 3, 2}, t.encode("aaa", false));
        // "aaaa" → [▁, aa, aa]: after the first merge at 1, the pair at 2 is gone (its left symbol
        // was consumed), and the pair at 3 merges next.
        assertArrayEquals(new int[] {1, 3, 3}, t.encode("aaaa", false));
    }

    @Test
    void staleQueueEntriesAreSkipped() {
        // "▁abcd": ranks "c d" 0, "b c" 1, "a b" 2, "ab cd" 3. After "c d": [▁, a, b, cd]; the queued
        // "b c" (rank 1) is stale because its right symbol is now "cd"; "a b" → [▁, ab, cd];
        // "ab cd" → [▁, abcd].
        Tokenizer t = TokenizerFiles.load(tmp, TokenizerFiles.handMade(
                List.of("<unk>", "▁", "a", "b", "c", "d", "cd", "bc", "ab", "abcd"),
                List.of("c d", "b c", "a b", "ab cd"), "<unk>"));
        assertArrayEquals(new int[] {1, 9}, t.encode("abcd", false));
    }

    @Test
    void handComputedIdsFromTheFixture() {
        // "the" → "▁the" = [▁, t, h, e]. Fixture merge ranks: "▁ t" 0, "h e" 1, "▁t he" 3, "▁t h" 45.
        // Rank 0: [▁t, h, e]; rank 1: [▁t, he]; rank 3: [▁the] = id 262.
        assertArrayEquals(new int[] {262}, llama.encode("the", false));
        // "The cat" → [▁, T, h, e, ▁, c, a, t]. "h e" 1 → he; "▁ T" 11 → ▁T; "▁T he" 17 → ▁The (273);
        // "▁ c" 23 → ▁c; "a t" 28 → at; "▁c at" 205 → ▁cat (433). No merge joins ▁The and ▁cat.
        assertArrayEquals(new int[] {273, 433}, llama.encode("The cat", false));
    }

    @Test
    void unknownCharactersFallBackToTheirUtf8Bytes() {
        // 😀 is F0 9F 98 80 in UTF-8; 中 is E4 B8 AD. Neither is in the vocab. The first piece of
        // text gets the "▁" prefix, which merges with nothing here.
        assertArrayEquals(new int[] {id("▁"), byteId(0xF0), byteId(0x9F), byteId(0x98), byteId(0x80)},
                llama.encode("😀", false));
        assertArrayEquals(new int[] {id("▁"), byteId(0xE4), byteId(0xB8), byteId(0xAD)}, llama.encode("中", false));
        // A newline is not in the vocab either: <0x0A>.
        assertArrayEquals(new int[] {id("▁a"), byteId(0x0A), id("a")}, llama.encode("a\na", false));
    }

    @Test
    void imageTokenInsideAPrompt() {
        // Split at <image> in the raw text: "USER: ", <image>, "\nWhat is this? ASSISTANT:".
        // Each text piece is normalized on its own, so each gets a "▁" prefix:
        // "▁USER:▁" → ▁USER : ▁      and      "▁\nWhat▁is▁this?▁ASSISTANT:" → ▁ <0x0A> W hat ▁is ...
        // The "▁" before the newline is what HF gives for llava-1.5: transformers' LLaVA processor
        // test expects [1, 3148, 1001, 29901, 29871, 32000, 29871, 13, 5618, ...] for
        // "USER: <image>\nWhat is shown in this image? ASSISTANT:" (29871 = "▁", 13 = <0x0A>).
        int[] expected = {BOS, id("▁USER"), id(":"), id("▁"), IMAGE, id("▁"), byteId(0x0A), id("W"), id("hat"),
                id("▁is"), id("▁this"), id("?"), id("▁ASSISTANT"), id(":")};
        assertArrayEquals(expected, llama.encode("USER: <image>\nWhat is this? ASSISTANT:", true));
    }

    @Test
    void specialTokensInTextAreMatchedAndNeverSplit() {
        assertArrayEquals(new int[] {IMAGE}, llama.encode("<image>", false));
        assertArrayEquals(new int[] {IMAGE, IMAGE}, llama.encode("<image><image>", false));
        assertArrayEquals(new int[] {BOS, id("▁the"), EOS}, llama.encode("<s>the</s>", false));
        // Text right after a special token gets its own "▁" prefix, like text at the start.
        assertArrayEquals(new int[] {262, BOS, 262}, llama.encode("the<s>the", false));
        // Almost-special text is ordinary text.
        int[] notImage = llama.encode("<imag>", false);
        assertFalse(IntStream.of(notImage).anyMatch(i -> i == IMAGE));
    }

    @Test
    void bosAndEosAreExplicit() {
        int[] plain = llama.encode("the", false);
        assertArrayEquals(new int[] {BOS, 262}, llama.encode("the", true));
        assertArrayEquals(new int[] {262, EOS}, llama.encode("the", false, true));
        assertArrayEquals(new int[] {262}, plain);
        assertArrayEquals(new int[] {BOS}, llama.encode("", true));
        assertArrayEquals(new int[0], llama.encode("", false));
    }

    @Test
    void configAndVocabularyAccessors() {
        assertEquals(OptionalInt.of(BOS), llama.bosId());
        assertEquals(OptionalInt.of(EOS), llama.eosId());
        assertEquals(OptionalInt.of(0), llama.unkId());
        assertEquals(OptionalInt.empty(), llama.padId());
        assertTrue(llama.addBosByDefault());
        assertFalse(llama.addEosByDefault());
        assertEquals(601, llama.vocabSize());
        assertEquals("<image>", llama.tokenText(IMAGE));
        assertEquals("<0x0A>", llama.tokenText(byteId(0x0A)));
        assertEquals("▁the", llama.tokenText(262));
        assertEquals(OptionalInt.of(IMAGE), llama.idOf("<image>"));
        assertEquals(OptionalInt.empty(), llama.idOf("no such token"));
        assertTrue(llama.isSpecial(IMAGE));
        assertFalse(llama.isSpecial(262));
        assertThrows(IllegalArgumentException.class, () -> llama.tokenText(601));
        assertThrows(IllegalArgumentException.class, () -> llama.tokenText(-1));
    }

    @Test
    void withoutConfigTheTemplateGivesTheDefaults(@TempDir Path dir) {
        Tokenizer t = TokenizerFiles.load(dir, TokenizerFiles.fixtureJson());
        assertEquals(OptionalInt.of(BOS), t.bosId());
        assertEquals(OptionalInt.of(EOS), t.eosId());
        assertTrue(t.addBosByDefault());
        assertFalse(t.addEosByDefault());
    }

    @Test
    void configOverridesAndAcceptsPlainStrings(@TempDir Path dir) {
        ObjectNode json = TokenizerFiles.fixtureJson();
        ArrayNode added = (ArrayNode) json.get("added_tokens");
        added.addObject().put("id", 601).put("content", "<pad>").put("single_word", false).put("lstrip", false)
                .put("rstrip", false).put("normalized", false).put("special", true);
        TokenizerFiles.write(dir, "tokenizer_config.json", """
                {"add_bos_token": false, "add_eos_token": true, "bos_token": "<s>", "eos_token": "</s>",
                 "pad_token": "<pad>", "unk_token": null, "chat_template": "ignored"}""");
        Tokenizer t = TokenizerFiles.load(dir, json);
        assertFalse(t.addBosByDefault());
        assertTrue(t.addEosByDefault());
        assertEquals(OptionalInt.of(601), t.padId());
        assertEquals(602, t.vocabSize());
        // Loading the file rather than the folder finds the config beside it.
        assertEquals(OptionalInt.of(601), Tokenizer.load(dir.resolve("tokenizer.json")).padId());
    }

    @Test
    void mergesAsPairsGiveTheSameIdsAsMergesAsStrings(@TempDir Path dir) {
        ObjectNode json = TokenizerFiles.fixtureJson();
        ArrayNode pairs = TokenizerFiles.JSON.createArrayNode();
        for (var merge : json.get("model").get("merges")) {
            String[] parts = merge.textValue().split(" ");
            pairs.addArray().add(parts[0]).add(parts[1]);
        }
        ((ObjectNode) json.get("model")).set("merges", pairs);
        ((ObjectNode) json.get("model")).put("ignore_merges", false);
        Tokenizer pairForm = TokenizerFiles.load(dir, json);
        var random = new java.util.Random(7);
        for (int i = 0; i < 200; i++) {
            String text = RandomText.of(random, 60);
            assertArrayEquals(llama.encode(text, true), pairForm.encode(text, true), text);
        }
        for (String text : List.of("The cat is sitting on the table.", "USER: <image>\nWhat is this?")) {
            assertArrayEquals(llama.encode(text, true), pairForm.encode(text, true), text);
        }
    }

    @Test
    void ignoreMergesTakesAWholeWordThatIsInTheVocab(@TempDir Path dir) {
        // With ignore_merges, a word that is itself a vocab entry is taken whole, even where the
        // merges would not reach it: "▁abc" is in the vocab but no merge makes it.
        ObjectNode json = TokenizerFiles.handMade(List.of("<unk>", "▁", "a", "b", "c", "▁abc"), List.of(), "<unk>");
        assertArrayEquals(new int[] {1, 2, 3, 4}, TokenizerFiles.load(dir.resolve("a"), json).encode("abc", false));
        ((ObjectNode) json.get("model")).put("ignore_merges", true);
        assertArrayEquals(new int[] {5}, TokenizerFiles.load(dir.resolve("b"), json).encode("abc", false));
    }

    @Test
    void withoutByteFallbackUnknownCharactersBecomeUnk(@TempDir Path dir) {
        ObjectNode json = TokenizerFiles.handMade(List.of("<unk>", "▁", "a"), List.of(), "<unk>");
        ((ObjectNode) json.get("model")).put("fuse_unk", true);
        // fuse_unk: consecutive unknowns become one <unk>.
        assertArrayEquals(new int[] {1, 2, 0, 2}, TokenizerFiles.load(dir.resolve("fused"), json).encode("axyza", false));
        ((ObjectNode) json.get("model")).put("fuse_unk", false);
        assertArrayEquals(new int[] {1, 2, 0, 0, 0, 2},
                TokenizerFiles.load(dir.resolve("unfused"), json).encode("axyza", false));
    }

    @Test
    void metaspaceFirstPrependsOnlyAtTheStartOfTheText(@TempDir Path dir) {
        ObjectNode json = metaspace("first", false);
        Tokenizer t = TokenizerFiles.load(dir, json);
        assertArrayEquals(llama.encode("The cat is sitting on the table.", false),
                t.encode("The cat is sitting on the table.", false));
        // No "▁" after <image>: the text piece does not start the text.
        int[] expected = {BOS, id("▁USER"), id(":"), id("▁"), IMAGE, byteId(0x0A), id("W"), id("hat"),
                id("▁is"), id("▁this"), id("?"), id("▁ASSISTANT"), id(":")};
        assertArrayEquals(expected, t.encode("USER: <image>\nWhat is this? ASSISTANT:", true));
        // Text starting with a space gets no extra "▁" (legacy files give ▁ ▁le...).
        assertArrayEquals(ids("▁le", "ad", "ing"), t.encode(" leading", false));
        // ... so the decoder's Strip eats the only space: HF loses it too.
        assertEquals("leading", t.decode(t.encode(" leading", false)));
    }

    @Test
    void metaspaceAlwaysPrependsToEveryPieceNotStartingWithASpace(@TempDir Path dir) {
        Tokenizer t = TokenizerFiles.load(dir, metaspace("always", true));
        assertArrayEquals(llama.encode("USER: <image>\nWhat is this? ASSISTANT:", true),
                t.encode("USER: <image>\nWhat is this? ASSISTANT:", true));
        assertArrayEquals(new int[] {id("▁"), IMAGE, id("▁")}, t.encode(" <image> ", false));
        assertArrayEquals(new int[] {id("▁"), id("▁"), IMAGE, id("▁"), id("▁")}, llama.encode(" <image> ", false));
    }

    private static ObjectNode metaspace(String scheme, boolean split) {
        ObjectNode json = TokenizerFiles.fixtureJson();
        json.putNull("normalizer");
        json.putObject("pre_tokenizer").put("type", "Metaspace").put("replacement", "▁")
                .put("prepend_scheme", scheme).put("split", split);
        return json;
    }

    @Test
    void metaspaceSplitStartsAWordAtEveryReplacementCharacter() {
        var split = new MetaspacePreTokenizer('▁', MetaspacePreTokenizer.PrependScheme.NEVER, true);
        assertEquals(List.of("The", "-final", "-", "-countdown"),
                new MetaspacePreTokenizer('-', MetaspacePreTokenizer.PrependScheme.NEVER, true)
                        .preTokenize("The-final--countdown", true));
        assertEquals(List.of("a", "▁", "▁b", "▁"), split.preTokenize("a  b ", true));
        var first = new MetaspacePreTokenizer('▁', MetaspacePreTokenizer.PrependScheme.FIRST, true);
        assertEquals(List.of("▁Hey", "▁friend!"), first.preTokenize("Hey friend!", true));
        assertEquals(List.of("Hey", "▁friend!"), first.preTokenize("Hey friend!", false));
    }

    @Test
    void addedTokenStripAndSingleWordRules(@TempDir Path dir) {
        ObjectNode json = TokenizerFiles.fixtureJson();
        ArrayNode added = (ArrayNode) json.get("added_tokens");
        added.addObject().put("id", 601).put("content", "[M]").put("single_word", false).put("lstrip", true)
                .put("rstrip", true).put("normalized", false).put("special", false);
        added.addObject().put("id", 602).put("content", "cat").put("single_word", true).put("lstrip", false)
                .put("rstrip", false).put("normalized", false).put("special", false);
        Tokenizer t = TokenizerFiles.load(dir, json);
        // lstrip/rstrip: the match takes the spaces around it, so "a" and "b" are separate pieces.
        assertArrayEquals(concat(llama.encode("a", false), new int[] {601}, llama.encode("b", false)),
                t.encode("a  [M] b", false));
        // single_word: "cat" matches between spaces, not inside "concat" or "cats".
        assertArrayEquals(concat(llama.encode("the ", false), new int[] {602}, llama.encode(" sat", false)),
                t.encode("the cat sat", false));
        assertFalse(IntStream.of(t.encode("concat cats", false)).anyMatch(i -> i == 602));
    }

    @Test
    void normalizedAddedTokensMatchTheirNormalizedContent(@TempDir Path dir) {
        // A normalized added token is matched after normalization, as its normalized content:
        // the LLaMA normalizer turns "dog" into "▁dog", so it matches " dog" and text-initial "dog".
        ObjectNode json = TokenizerFiles.fixtureJson();
        ((ArrayNode) json.get("added_tokens")).addObject().put("id", 601).put("content", "dog")
                .put("single_word", false).put("lstrip", false).put("rstrip", false)
                .put("normalized", true).put("special", false);
        Tokenizer t = TokenizerFiles.load(dir, json);
        assertArrayEquals(new int[] {id("▁a"), 601}, t.encode("a dog", false));
        assertArrayEquals(new int[] {601}, t.encode("dog", false));
        assertFalse(IntStream.of(t.encode("hotdog", false)).anyMatch(i -> i == 601));
        assertEquals("▁dog", t.tokenText(601));
    }

    @Test
    void loneSurrogatesAreEncodedAsReplacementCharacters() {
        assertArrayEquals(llama.encode("a\uFFFDb", false), llama.encode("a\uD800b", false));
    }

    @Test
    void longPromptsEncodeInLinearishTime() {
        // One "word" of 400k characters: the legacy LLaMA pipeline has no pre-tokenizer, so BPE sees
        // each text piece whole. An O(n²) merge loop would not finish in time.
        String corpus = "The vision encoder turns the picture into a sequence of patches. 中文 😀\n";
        String text = corpus.repeat(400_000 / corpus.length());
        int[] ids = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> llama.encode(text, true));
        assertEquals(text, llama.decode(ids, true));
    }

    private static int[] concat(int[]... parts) {
        return java.util.Arrays.stream(parts).flatMapToInt(IntStream::of).toArray();
    }
}
