package dev.mod4j.loaders.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mod4j.loaders.InvalidInputException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every way a tokenizer file can be bad gives a TokenizerFormatException naming the file and field. */
class TokenizerFormatErrorTest {
    @TempDir
    Path tmp;
    private int caseNumber;

    /** Loads the JSON text as tokenizer.json and checks the message: file, then field and problem. */
    private TokenizerFormatException rejected(String tokenizerJson, String fieldAndProblem) {
        Path dir = tmp.resolve("case" + caseNumber++);
        Path file = TokenizerFiles.write(dir, "tokenizer.json", tokenizerJson);
        var e = assertThrows(TokenizerFormatException.class, () -> Tokenizer.load(dir));
        assertTrue(e.getMessage().startsWith(file + ": " + fieldAndProblem),
                () -> "message was: " + e.getMessage());
        assertEquals(file.toString(), e.source());
        return e;
    }

    private TokenizerFormatException rejected(JsonNode tokenizerJson, String fieldAndProblem) {
        return rejected(tokenizerJson.toString(), fieldAndProblem);
    }

    private static ObjectNode model(ObjectNode root) {
        return (ObjectNode) root.get("model");
    }

    @Test
    void isAnInvalidInputException() {
        assertTrue(InvalidInputException.class.isAssignableFrom(TokenizerFormatException.class));
    }

    @Test
    void malformedJson() {
        rejected("{\"model\": {\"type\": \"BPE\",", "malformed JSON at line 1");
        rejected("{} trailing", "malformed JSON");
        rejected("", "file is empty");
        rejected("[1, 2]", "(top level): expected an object, found an array of 2");
    }

    @Test
    void notUtf8() throws IOException {
        Path dir = tmp.resolve("latin1");
        Files.createDirectories(dir);
        Files.write(dir.resolve("tokenizer.json"), new byte[] {'{', '"', (byte) 0xE9, '"', ':', '1', '}'});
        var e = assertThrows(TokenizerFormatException.class, () -> Tokenizer.load(dir));
        assertTrue(e.getMessage().endsWith("tokenizer.json: not valid UTF-8"), e.getMessage());
    }

    @Test
    void missingFile() {
        var e = assertThrows(TokenizerFormatException.class, () -> Tokenizer.load(tmp.resolve("nowhere.json")));
        assertEquals(tmp.resolve("nowhere.json") + ": file not found", e.getMessage());
        e = assertThrows(TokenizerFormatException.class, () -> Tokenizer.load(tmp));
        assertEquals(tmp.resolve("tokenizer.json") + ": file not found", e.getMessage());
    }

    @Test
    void fileOver64MegabytesIsRefusedBeforeReading() throws IOException {
        Path dir = tmp.resolve("huge");
        Files.createDirectories(dir);
        try (var file = new RandomAccessFile(dir.resolve("tokenizer.json").toFile(), "rw")) {
            file.setLength((64L << 20) + 1); // sparse: nothing is written
        }
        var e = assertThrows(TokenizerFormatException.class, () -> Tokenizer.load(dir));
        assertTrue(e.getMessage().contains("tokenizer.json: file is 67108865 bytes, over the 67108864-byte limit"),
                e.getMessage());
    }

    @Test
    void missingOrUnsupportedModel() {
        ObjectNode root = TokenizerFiles.fixtureJson();
        root.remove("model");
        rejected(root, "model: missing");
        root.put("model", "BPE");
        rejected(root, "model: expected an object, found string \"BPE\"");
        root = TokenizerFiles.fixtureJson();
        model(root).put("type", "Unigram");
        rejected(root, "model.type: unsupported model type \"Unigram\"");
        model(root).remove("type");
        rejected(root, "model.type: missing");
    }

    @Test
    void vocabIdsOutOfRangeDuplicatedOrNotIntegers() {
        ObjectNode root = TokenizerFiles.handMade(List.of("<unk>", "▁", "a"), List.of(), "<unk>");
        ((ObjectNode) model(root).get("vocab")).put("a", 3);
        rejected(root, "model.vocab[\"a\"]: id 3 is out of range: the vocab has 3 entries, so ids must be 0 to 2");
        ((ObjectNode) model(root).get("vocab")).put("a", -1);
        rejected(root, "model.vocab[\"a\"]: id -1 is out of range");
        ((ObjectNode) model(root).get("vocab")).put("a", 1);
        rejected(root, "model.vocab[\"a\"]: id 1 is also the id of \"▁\"");
        ((ObjectNode) model(root).get("vocab")).put("a", "2");
        rejected(root, "model.vocab[\"a\"]: expected an integer, found string \"2\"");
        ((ObjectNode) model(root).get("vocab")).put("a", 2.5);
        rejected(root, "model.vocab[\"a\"]: expected an integer, found number 2.5");
        model(root).putObject("vocab");
        rejected(root, "model.vocab: empty");
        var e = rejected("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"a\": 1}, \"merges\": []}}",
                "malformed JSON at line 1");
        assertTrue(e.getMessage().contains("Duplicate field 'a'"), e.getMessage());
    }

    @Test
    void badMerges() {
        ObjectNode root = TokenizerFiles.handMade(List.of("<unk>", "▁", "a", "b", "ab"), List.of("a b", "b q"), "<unk>");
        rejected(root, "model.merges[1]: \"q\" is not in model.vocab");
        root = TokenizerFiles.handMade(List.of("<unk>", "▁", "a", "b"), List.of("a b"), "<unk>");
        rejected(root, "model.merges[0]: merging \"a\" and \"b\" gives \"ab\", which is not in model.vocab");
        for (JsonNode bad : List.of(JsonNodeFactory.instance.numberNode(7), JsonNodeFactory.instance.textNode("ab"),
                JsonNodeFactory.instance.textNode("a b c"), JsonNodeFactory.instance.arrayNode().add("a"),
                JsonNodeFactory.instance.nullNode())) {
            root = TokenizerFiles.fixtureJson();
            ((ArrayNode) model(root).get("merges")).set(12, bad);
            rejected(root, "model.merges[12]: expected \"a b\" pair");
        }
        root = TokenizerFiles.fixtureJson();
        model(root).remove("merges");
        rejected(root, "model.merges: missing");
    }

    @Test
    void unsupportedOrInconsistentModelOptions() {
        ObjectNode root = TokenizerFiles.fixtureJson();
        model(root).put("dropout", 0.1);
        rejected(root, "model.dropout: BPE dropout number 0.1 is not supported");
        root = TokenizerFiles.fixtureJson();
        model(root).put("unk_token", "<nope>");
        rejected(root, "model.unk_token: \"<nope>\" is not in model.vocab");
        root = TokenizerFiles.fixtureJson();
        model(root).put("continuing_subword_prefix", "##");
        rejected(root, "model.continuing_subword_prefix: \"##\" is not supported");
        root = TokenizerFiles.fixtureJson();
        model(root).put("byte_fallback", "yes");
        rejected(root, "model.byte_fallback: expected true or false, found string \"yes\"");
        root = TokenizerFiles.fixtureJson();
        root.put("version", "2.0");
        rejected(root, "version: unknown tokenizer.json version string \"2.0\"");
    }

    @Test
    void unknownComponentTypesAreRejectedByName() {
        ObjectNode root = TokenizerFiles.fixtureJson();
        root.putObject("normalizer").put("type", "NFKC");
        rejected(root, "normalizer.type: unsupported normalizer \"NFKC\"");
        root = TokenizerFiles.fixtureJson();
        ((ObjectNode) root.get("normalizer").get("normalizers").get(1)).putObject("pattern").put("Regex", "\\s+");
        rejected(root, "normalizer.normalizers[1].pattern: unsupported pattern kind \"Regex\"");
        root = TokenizerFiles.fixtureJson();
        root.putObject("pre_tokenizer").put("type", "ByteLevel");
        rejected(root, "pre_tokenizer.type: unsupported pre-tokenizer \"ByteLevel\"");
        root = TokenizerFiles.fixtureJson();
        ((ArrayNode) root.get("decoder").get("decoders")).addObject().put("type", "WordPiece");
        rejected(root, "decoder.decoders[4].type: unsupported decoder \"WordPiece\"");
        root = TokenizerFiles.fixtureJson();
        root.putObject("post_processor").put("type", "RobertaProcessing");
        rejected(root, "post_processor.type: unsupported post-processor \"RobertaProcessing\"");
        root = TokenizerFiles.fixtureJson();
        ((ObjectNode) root.get("decoder").get("decoders").get(3)).put("start", -1);
        rejected(root, "decoder.decoders[3].start: expected a count of 0 or more, found -1");
        root = TokenizerFiles.fixtureJson();
        root.putObject("pre_tokenizer").put("type", "Metaspace").put("replacement", "__")
                .put("prepend_scheme", "first");
        rejected(root, "pre_tokenizer.replacement: expected a single character, found string \"__\"");
        root.putObject("pre_tokenizer").put("type", "Metaspace").put("replacement", "▁")
                .put("prepend_scheme", "sometimes");
        rejected(root, "pre_tokenizer.prepend_scheme: expected \"always\", \"first\" or \"never\"");
    }

    @Test
    void badAddedTokens() {
        ObjectNode root = TokenizerFiles.fixtureJson();
        ((ObjectNode) root.get("added_tokens").get(3)).put("id", 605);
        rejected(root, "added_tokens[3].id: id 605 for \"<image>\" disagrees with the id 600 that HF tokenizers gives it");
        root = TokenizerFiles.fixtureJson();
        ((ObjectNode) root.get("added_tokens").get(1)).put("id", 7);
        rejected(root, "added_tokens[1].id: id 7 for \"<s>\" disagrees with the id 1");
        root = TokenizerFiles.fixtureJson();
        ((ObjectNode) root.get("added_tokens").get(3)).put("content", "<s>");
        rejected(root, "added_tokens[3].content: \"<s>\" is already added_tokens[1]");
        root = TokenizerFiles.fixtureJson();
        ((ObjectNode) root.get("added_tokens").get(3)).remove("content");
        rejected(root, "added_tokens[3].content: missing");
        root = TokenizerFiles.fixtureJson();
        root.put("added_tokens", "none");
        rejected(root, "added_tokens: expected an array, found string \"none\"");
    }

    @Test
    void unencodableTextWithoutByteFallbackOrUnk() {
        Path dir = tmp.resolve("nofallback");
        Tokenizer t = TokenizerFiles.load(dir, TokenizerFiles.handMade(List.of("▁", "a"), List.of(), null));
        assertEquals(3, t.encode("aa", false).length); // ▁ a a
        var e = assertThrows(TokenizerFormatException.class, () -> t.encode("a😀", false));
        assertEquals(dir.resolve("tokenizer.json") + ": model: cannot encode character U+1F600: it is not in the "
                + "vocab, and the model has no byte fallback and no unk_token", e.getMessage());
    }

    @Test
    void askingForABosTheTokenizerLacksIsATypedError() {
        Path dir = tmp.resolve("no-bos");
        Path file = TokenizerFiles.write(dir, "tokenizer.json",
                TokenizerFiles.handMade(List.of("▁", "a"), List.of(), null).toString());
        Tokenizer tokenizer = Tokenizer.load(dir);
        assertTrue(tokenizer.bosId().isEmpty());
        assertArrayEquals(tokenizer.encode("a", false), tokenizer.encode("a", false, false));
        var e = assertThrows(TokenizerFormatException.class, () -> tokenizer.encode("a", true));
        assertTrue(e.getMessage().startsWith(file + ": the prompt needs a bos token, but the tokenizer defines none"),
                e.getMessage());
        assertThrows(TokenizerFormatException.class, () -> tokenizer.encode("a", false, true));
    }

    @Test
    void badTokenizerConfig() {
        Path dir = tmp.resolve("config");
        TokenizerFiles.write(dir, "tokenizer.json", TokenizerFiles.fixtureJson().toString());
        Path config = TokenizerFiles.write(dir, "tokenizer_config.json", "{\"bos_token\": \"<bos>\"}");
        var e = assertThrows(TokenizerFormatException.class, () -> Tokenizer.load(dir));
        assertTrue(e.getMessage().startsWith(config + ": bos_token: \"<bos>\" is not a token of "), e.getMessage());
        TokenizerFiles.write(dir, "tokenizer_config.json", "{\"eos_token\": 2}");
        e = assertThrows(TokenizerFormatException.class, () -> Tokenizer.load(dir));
        assertEquals(config + ": eos_token: expected a string or an object with \"content\", found number 2",
                e.getMessage());
        TokenizerFiles.write(dir, "tokenizer_config.json", "{\"add_bos_token\": 1}");
        e = assertThrows(TokenizerFormatException.class, () -> Tokenizer.load(dir));
        assertEquals(config + ": add_bos_token: expected true or false, found number 1", e.getMessage());
        TokenizerFiles.write(dir, "tokenizer_config.json", "{\"pad_token\": {\"content\": 5}}");
        e = assertThrows(TokenizerFormatException.class, () -> Tokenizer.load(dir));
        assertEquals(config + ": pad_token.content: expected a string, found number 5", e.getMessage());
        TokenizerFiles.write(dir, "tokenizer_config.json", "{\"add_bos_token\": true,");
        e = assertThrows(TokenizerFormatException.class, () -> Tokenizer.load(dir));
        assertTrue(e.getMessage().startsWith(config + ": malformed JSON"), e.getMessage());
    }

    /**
     * Random damage to the fixture (a field removed, or replaced by a value of another type) must
     * either still load or fail with TokenizerFormatException: never NullPointerException,
     * ClassCastException, IndexOutOfBoundsException or the like, at load or at encode.
     */
    @Test
    void randomDamageNeverCausesAnythingButTokenizerFormatException() {
        Random random = new Random(1234);
        JsonNode[] replacements = {JsonNodeFactory.instance.nullNode(), JsonNodeFactory.instance.numberNode(-1),
                JsonNodeFactory.instance.numberNode(1_000_000), JsonNodeFactory.instance.textNode(""),
                JsonNodeFactory.instance.textNode("x"), JsonNodeFactory.instance.booleanNode(true),
                JsonNodeFactory.instance.arrayNode(), JsonNodeFactory.instance.objectNode(),
                JsonNodeFactory.instance.numberNode(0.5)};
        int loaded = 0;
        for (int i = 0; i < 400; i++) {
            ObjectNode root = TokenizerFiles.fixtureJson();
            List<JsonNode> containers = new ArrayList<>();
            collectContainers(root, containers, random);
            JsonNode target = containers.get(random.nextInt(containers.size()));
            damage(target, random, replacements);
            Path dir = tmp.resolve("damaged" + i);
            TokenizerFiles.write(dir, "tokenizer.json", root.toString());
            try {
                Tokenizer t = Tokenizer.load(dir);
                loaded++;
                t.decode(t.encode("USER: <image>\nWhat is this? 😀 ASSISTANT:", false));
            } catch (TokenizerFormatException expected) {
                // fine
            }
        }
        assertTrue(loaded > 0 && loaded < 400, "loaded " + loaded);
    }

    /** The objects and arrays of the tree, sampling the big vocab and merges so that other parts get hit too. */
    private static void collectContainers(JsonNode node, List<JsonNode> out, Random random) {
        if (!node.isContainerNode()) {
            return;
        }
        out.add(node);
        for (JsonNode child : node) {
            if (node.size() < 50 || random.nextInt(node.size()) < 5) {
                collectContainers(child, out, random);
            }
        }
    }

    private static void damage(JsonNode target, Random random, JsonNode[] replacements) {
        if (target.isEmpty()) {
            return;
        }
        JsonNode replacement = replacements[random.nextInt(replacements.length)];
        if (target instanceof ObjectNode object) {
            List<String> names = new ArrayList<>();
            object.properties().forEach(p -> names.add(p.getKey()));
            String name = names.get(random.nextInt(names.size()));
            if (random.nextBoolean()) {
                object.remove(name);
            } else {
                object.set(name, replacement);
            }
        } else if (target instanceof ArrayNode array) {
            int index = random.nextInt(array.size());
            if (random.nextBoolean()) {
                array.remove(index);
            } else {
                array.set(index, replacement);
            }
        }
    }
}
