package dev.mod4j.loaders.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The llama-mini fixture, variants of it written to temporary folders, and small hand-made tokenizers. */
final class TokenizerFiles {
    static final ObjectMapper JSON = new ObjectMapper();

    /** Ids in llama-mini: SentencePiece puts the 256 byte tokens right after the three specials. */
    static final int UNK = 0;
    static final int BOS = 1;
    static final int EOS = 2;
    static final int IMAGE = 600;

    private TokenizerFiles() {
    }

    static int byteId(int b) {
        return 3 + b;
    }

    static Path fixtureDir() {
        try {
            return Path.of(TokenizerFiles.class.getResource("/tokenizer/llama-mini/tokenizer.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Tokenizer fixture() {
        return Tokenizer.load(fixtureDir());
    }

    /** A fresh, mutable copy of the fixture's tokenizer.json. */
    static ObjectNode fixtureJson() {
        return (ObjectNode) readJson(fixtureDir().resolve("tokenizer.json"));
    }

    static JsonNode readJson(Path path) {
        try {
            return JSON.readTree(path.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes tokenizer.json (only) into {@code dir} and loads it. */
    static Tokenizer load(Path dir, JsonNode tokenizerJson) {
        write(dir, "tokenizer.json", tokenizerJson.toString());
        return Tokenizer.load(dir);
    }

    static Path write(Path dir, String name, String content) {
        try {
            Files.createDirectories(dir);
            return Files.writeString(dir.resolve(name), content, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A tokenizer.json in LLaMA's structure (legacy normalizer, LLaMA decoder, {@code <s>} template)
     * with the given vocab (ids in list order) and merges, no byte tokens and no added tokens.
     */
    static ObjectNode handMade(List<String> vocab, List<String> merges, String unkToken) {
        ObjectNode root = fixtureJson();
        root.putArray("added_tokens");
        ObjectNode model = (ObjectNode) root.get("model");
        ObjectNode vocabNode = model.putObject("vocab");
        for (int i = 0; i < vocab.size(); i++) {
            vocabNode.put(vocab.get(i), i);
        }
        ArrayNode mergesNode = model.putArray("merges");
        merges.forEach(mergesNode::add);
        model.put("byte_fallback", false);
        if (unkToken == null) {
            model.putNull("unk_token");
        } else {
            model.put("unk_token", unkToken);
        }
        root.putNull("post_processor");
        return root;
    }
}
