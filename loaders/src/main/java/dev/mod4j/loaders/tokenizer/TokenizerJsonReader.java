package dev.mod4j.loaders.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Reads a HuggingFace tokenizer.json and checks everything encoding and decoding will rely on, so
 * that a bad file fails here with a {@link TokenizerFormatException} naming the field, not later.
 * Parts mod4j does not implement are rejected by name rather than ignored.
 */
final class TokenizerJsonReader {

    /**
     * What tokenizer.json says.
     *
     * @param file                the file, for messages
     * @param pieces              the model's vocab, indexed by id
     * @param addedTokens         the added tokens, in file order
     * @param preTokenizer        null when the file has none
     * @param templatePrefixIds   the post-processor's special tokens before the text (LLaMA: {@code <s>})
     * @param templateSuffixIds   the post-processor's special tokens after the text
     * @param modelUnkToken       {@code model.unk_token}, or null
     */
    record Contents(String file, BpeModel model, String[] pieces, List<AddedToken> addedTokens, Normalizer normalizer,
                    MetaspacePreTokenizer preTokenizer, TokenDecoder decoder, int[] templatePrefixIds,
                    int[] templateSuffixIds, String modelUnkToken) {
    }

    private final JsonFields fields;

    private TokenizerJsonReader(JsonFields fields) {
        this.fields = fields;
    }

    static Contents read(Path path) {
        JsonFields fields = new JsonFields(path.toString());
        JsonNode root = fields.requireObject(JsonFields.readTree(path, fields), "(top level)");
        return new TokenizerJsonReader(fields).contents(root);
    }

    private Contents contents(JsonNode root) {
        JsonNode version = JsonFields.member(root, "version");
        if (version != null && !"1.0".equals(fields.requireString(version, "version"))) {
            throw fields.error("version", "unknown tokenizer.json version " + JsonFields.describe(version)
                    + " (expected \"1.0\")");
        }
        JsonNode modelNode = fields.requireObject(JsonFields.member(root, "model"), "model");
        String modelType = fields.requireString(JsonFields.member(modelNode, "type"), "model.type");
        if (!modelType.equals("BPE")) {
            throw fields.error("model.type", "unsupported model type " + JsonFields.quote(modelType)
                    + " (mod4j supports \"BPE\")");
        }
        Map<String, Integer> vocab = new HashMap<>();
        String[] pieces = readVocab(modelNode, vocab);
        BpeModel model = readModel(modelNode, vocab);
        Normalizer normalizer = readNormalizer(JsonFields.member(root, "normalizer"), "normalizer");
        List<AddedToken> addedTokens = readAddedTokens(JsonFields.member(root, "added_tokens"), vocab);
        int idCount = pieces.length + (int) addedTokens.stream().filter(t -> t.id() >= pieces.length).count();
        MetaspacePreTokenizer preTokenizer = readPreTokenizer(JsonFields.member(root, "pre_tokenizer"));
        TokenDecoder decoder = readDecoder(JsonFields.member(root, "decoder"), "decoder");
        int[][] template = readPostProcessor(JsonFields.member(root, "post_processor"), idCount);
        String unk = fields.optionalString(modelNode, "unk_token", "model");
        return new Contents(fields.file(), model, pieces, addedTokens, normalizer, preTokenizer, decoder,
                template[0], template[1], unk);
    }

    // ---- model ----

    /** Fills {@code vocab} and returns the pieces by id, checking the ids are exactly 0..n-1. */
    private String[] readVocab(JsonNode modelNode, Map<String, Integer> vocab) {
        JsonNode vocabNode = fields.requireObject(JsonFields.member(modelNode, "vocab"), "model.vocab");
        if (vocabNode.isEmpty()) {
            throw fields.error("model.vocab", "empty");
        }
        String[] pieces = new String[vocabNode.size()];
        for (Map.Entry<String, JsonNode> entry : vocabNode.properties()) {
            String path = "model.vocab[" + JsonFields.quote(entry.getKey()) + "]";
            int id = fields.requireInt(entry.getValue(), path);
            if (id < 0 || id >= pieces.length) {
                throw fields.error(path, "id " + id + " is out of range: the vocab has " + pieces.length
                        + " entries, so ids must be 0 to " + (pieces.length - 1));
            }
            if (pieces[id] != null) {
                throw fields.error(path, "id " + id + " is also the id of " + JsonFields.quote(pieces[id]));
            }
            pieces[id] = entry.getKey();
            vocab.put(entry.getKey(), id);
        }
        return pieces;
    }

    private BpeModel readModel(JsonNode modelNode, Map<String, Integer> vocab) {
        JsonNode dropout = JsonFields.member(modelNode, "dropout");
        if (dropout != null && !(dropout.isNumber() && dropout.doubleValue() == 0.0)) {
            throw fields.error("model.dropout", "BPE dropout " + JsonFields.describe(dropout)
                    + " is not supported (mod4j encodes deterministically; expected null)");
        }
        for (String unsupported : List.of("continuing_subword_prefix", "end_of_word_suffix")) {
            String value = fields.optionalString(modelNode, unsupported, "model");
            if (value != null && !value.isEmpty()) {
                throw fields.error("model." + unsupported, JsonFields.quote(value)
                        + " is not supported (LLaMA-style BPE has null here)");
            }
        }
        boolean byteFallback = fields.optionalBoolean(modelNode, "byte_fallback", "model", false);
        boolean fuseUnk = fields.optionalBoolean(modelNode, "fuse_unk", "model", false);
        boolean ignoreMerges = fields.optionalBoolean(modelNode, "ignore_merges", "model", false);
        String unkToken = fields.optionalString(modelNode, "unk_token", "model");
        int unkId = -1;
        if (unkToken != null) {
            Integer id = vocab.get(unkToken);
            if (id == null) {
                throw fields.error("model.unk_token", JsonFields.quote(unkToken) + " is not in model.vocab");
            }
            unkId = id;
        }
        JsonNode mergesNode = fields.requireArray(JsonFields.member(modelNode, "merges"), "model.merges");
        BpeMerges merges = new BpeMerges(mergesNode.size());
        int[] mergedIdByRank = new int[mergesNode.size()];
        for (int rank = 0; rank < mergesNode.size(); rank++) {
            String path = JsonFields.element("model.merges", rank);
            String[] pair = mergePair(mergesNode.get(rank), path);
            int left = mergeTokenId(vocab, pair[0], path);
            int right = mergeTokenId(vocab, pair[1], path);
            Integer merged = vocab.get(pair[0] + pair[1]);
            if (merged == null) {
                throw fields.error(path, "merging " + JsonFields.quote(pair[0]) + " and " + JsonFields.quote(pair[1])
                        + " gives " + JsonFields.quote(pair[0] + pair[1]) + ", which is not in model.vocab");
            }
            merges.put(left, right, rank, merged);
            mergedIdByRank[rank] = merged;
        }
        return new BpeModel(fields.file(), vocab, merges, mergedIdByRank, byteFallback, unkId, fuseUnk, ignoreMerges);
    }

    /** A merge is {@code "a b"} (older files, split at the one space) or {@code ["a", "b"]}. */
    private String[] mergePair(JsonNode merge, String path) {
        if (merge.isTextual()) {
            String[] parts = merge.textValue().split(" ", -1);
            if (parts.length == 2) {
                return parts;
            }
        } else if (merge.isArray() && merge.size() == 2 && merge.get(0).isTextual() && merge.get(1).isTextual()) {
            return new String[] {merge.get(0).textValue(), merge.get(1).textValue()};
        }
        throw fields.error(path, "expected \"a b\" pair (a string with one space, or [\"a\", \"b\"]), found "
                + JsonFields.describe(merge));
    }

    private int mergeTokenId(Map<String, Integer> vocab, String token, String path) {
        Integer id = vocab.get(token);
        if (id == null) {
            throw fields.error(path, JsonFields.quote(token) + " is not in model.vocab");
        }
        return id;
    }

    // ---- added tokens ----

    /**
     * HF ignores the ids written in added_tokens and numbers them itself: a token whose content is in
     * the model vocab gets that id, the others get the ids after the vocab, in order. mod4j insists
     * the file agrees, so that the ids it encodes are the ones written there.
     */
    private List<AddedToken> readAddedTokens(JsonNode node, Map<String, Integer> vocab) {
        List<AddedToken> tokens = new ArrayList<>();
        if (node == null) {
            return tokens;
        }
        fields.requireArray(node, "added_tokens");
        Map<String, Integer> seen = new HashMap<>();
        int nextNewId = vocab.size();
        for (int i = 0; i < node.size(); i++) {
            String path = JsonFields.element("added_tokens", i);
            JsonNode t = fields.requireObject(node.get(i), path);
            int id = fields.requireInt(JsonFields.member(t, "id"), path + ".id");
            String content = fields.requireString(JsonFields.member(t, "content"), path + ".content");
            if (content.isEmpty()) {
                throw fields.error(path + ".content", "empty");
            }
            if (seen.containsKey(content)) {
                throw fields.error(path + ".content", JsonFields.quote(content) + " is already added_tokens["
                        + seen.get(content) + "]");
            }
            seen.put(content, i);
            Integer vocabId = vocab.get(content);
            int expected = vocabId != null ? vocabId : nextNewId++;
            if (id != expected) {
                throw fields.error(path + ".id", "id " + id + " for " + JsonFields.quote(content)
                        + " disagrees with the id " + expected + " that HF tokenizers gives it ("
                        + (vocabId != null ? "its id in model.vocab" : "the next id after model.vocab and the "
                        + "added tokens before it") + ")");
            }
            boolean special = fields.optionalBoolean(t, "special", path, false);
            tokens.add(new AddedToken(id, content, special,
                    fields.optionalBoolean(t, "single_word", path, false),
                    fields.optionalBoolean(t, "lstrip", path, false),
                    fields.optionalBoolean(t, "rstrip", path, false),
                    fields.optionalBoolean(t, "normalized", path, !special)));
        }
        return tokens;
    }

    // ---- normalizer, pre-tokenizer, decoder ----

    private Normalizer readNormalizer(JsonNode node, String path) {
        if (node == null) {
            return Normalizer.IDENTITY;
        }
        String type = typeOf(node, path);
        return switch (type) {
            case "Sequence" -> {
                String listPath = path + ".normalizers";
                JsonNode list = fields.requireArray(JsonFields.member(node, "normalizers"), listPath);
                List<Normalizer> steps = new ArrayList<>();
                for (int i = 0; i < list.size(); i++) {
                    JsonNode step = list.get(i);
                    String stepPath = JsonFields.element(listPath, i);
                    steps.add(readNormalizer(fields.requireObject(step.isNull() ? null : step, stepPath), stepPath));
                }
                yield new Normalizer.Sequence(steps);
            }
            case "Prepend" -> new Normalizer.Prepend(
                    fields.requireString(JsonFields.member(node, "prepend"), path + ".prepend"));
            case "Replace" -> new Normalizer.Replace(literalPattern(node, path),
                    fields.requireString(JsonFields.member(node, "content"), path + ".content"));
            default -> throw fields.error(path + ".type", "unsupported normalizer " + JsonFields.quote(type)
                    + " (mod4j supports Sequence, Prepend and Replace)");
        };
    }

    private MetaspacePreTokenizer readPreTokenizer(JsonNode node) {
        if (node == null) {
            return null;
        }
        String path = "pre_tokenizer";
        String type = typeOf(node, path);
        if (!type.equals("Metaspace")) {
            throw fields.error(path + ".type", "unsupported pre-tokenizer " + JsonFields.quote(type)
                    + " (mod4j supports Metaspace, or none)");
        }
        int replacement = fields.requireCodePoint(JsonFields.member(node, "replacement"), path + ".replacement");
        return new MetaspacePreTokenizer(replacement, prependScheme(node, path),
                fields.optionalBoolean(node, "split", path, true));
    }

    /** {@code prepend_scheme}, or the older {@code add_prefix_space}, read as HF does. */
    private MetaspacePreTokenizer.PrependScheme prependScheme(JsonNode node, String path) {
        String scheme = fields.optionalString(node, "prepend_scheme", path);
        MetaspacePreTokenizer.PrependScheme result = switch (scheme == null ? "always" : scheme) {
            case "always" -> MetaspacePreTokenizer.PrependScheme.ALWAYS;
            case "first" -> MetaspacePreTokenizer.PrependScheme.FIRST;
            case "never" -> MetaspacePreTokenizer.PrependScheme.NEVER;
            default -> throw fields.error(path + ".prepend_scheme", "expected \"always\", \"first\" or \"never\", "
                    + "found " + JsonFields.quote(scheme));
        };
        if (!fields.optionalBoolean(node, "add_prefix_space", path, true)) {
            if (result != MetaspacePreTokenizer.PrependScheme.NEVER && scheme != null) {
                throw fields.error(path + ".add_prefix_space", "false contradicts prepend_scheme "
                        + JsonFields.quote(scheme));
            }
            result = MetaspacePreTokenizer.PrependScheme.NEVER;
        }
        return result;
    }

    private TokenDecoder readDecoder(JsonNode node, String path) {
        if (node == null) {
            return new TokenDecoder.None();
        }
        String type = typeOf(node, path);
        return switch (type) {
            case "Sequence" -> {
                String listPath = path + ".decoders";
                JsonNode list = fields.requireArray(JsonFields.member(node, "decoders"), listPath);
                List<TokenDecoder> steps = new ArrayList<>();
                for (int i = 0; i < list.size(); i++) {
                    JsonNode step = list.get(i);
                    String stepPath = JsonFields.element(listPath, i);
                    steps.add(readDecoder(fields.requireObject(step.isNull() ? null : step, stepPath), stepPath));
                }
                yield new TokenDecoder.Sequence(steps);
            }
            case "Replace" -> new TokenDecoder.Replace(literalPattern(node, path),
                    fields.requireString(JsonFields.member(node, "content"), path + ".content"));
            case "ByteFallback" -> new TokenDecoder.ByteFallback();
            case "Fuse" -> new TokenDecoder.Fuse();
            case "Strip" -> new TokenDecoder.Strip(
                    fields.requireCodePoint(JsonFields.member(node, "content"), path + ".content"),
                    nonNegative(JsonFields.member(node, "start"), path + ".start"),
                    nonNegative(JsonFields.member(node, "stop"), path + ".stop"));
            case "Metaspace" -> new TokenDecoder.Metaspace(
                    fields.requireCodePoint(JsonFields.member(node, "replacement"), path + ".replacement"),
                    prependScheme(node, path) != MetaspacePreTokenizer.PrependScheme.NEVER);
            default -> throw fields.error(path + ".type", "unsupported decoder " + JsonFields.quote(type)
                    + " (mod4j supports Sequence, Replace, ByteFallback, Fuse, Strip and Metaspace)");
        };
    }

    /** {@code "pattern": {"String": " "}}; regex patterns are refused. */
    private String literalPattern(JsonNode node, String path) {
        String patternPath = path + ".pattern";
        JsonNode pattern = fields.requireObject(JsonFields.member(node, "pattern"), patternPath);
        JsonNode literal = JsonFields.member(pattern, "String");
        if (literal == null) {
            Iterator<Map.Entry<String, JsonNode>> kinds = pattern.properties().iterator();
            String kind = kinds.hasNext() ? kinds.next().getKey() : "(none)";
            throw fields.error(patternPath, "unsupported pattern kind " + JsonFields.quote(kind)
                    + " (mod4j supports {\"String\": ...})");
        }
        String text = fields.requireString(literal, patternPath + ".String");
        if (text.isEmpty()) {
            throw fields.error(patternPath + ".String", "empty");
        }
        return text;
    }

    private int nonNegative(JsonNode node, String path) {
        int value = fields.requireInt(node, path);
        if (value < 0) {
            throw fields.error(path, "expected a count of 0 or more, found " + value);
        }
        return value;
    }

    private String typeOf(JsonNode node, String path) {
        fields.requireObject(node, path);
        return fields.requireString(JsonFields.member(node, "type"), path + ".type");
    }

    // ---- post-processor ----

    /**
     * The special token ids TemplateProcessing puts before and after the text of a single sequence.
     * mod4j does not run the post-processor (callers say whether they want bos); it only takes its
     * defaults from it when tokenizer_config.json does not give them.
     */
    private int[][] readPostProcessor(JsonNode node, int idCount) {
        int[][] none = {new int[0], new int[0]};
        if (node == null) {
            return none;
        }
        String path = "post_processor";
        String type = typeOf(node, path);
        if (!type.equals("TemplateProcessing")) {
            throw fields.error(path + ".type", "unsupported post-processor " + JsonFields.quote(type)
                    + " (mod4j supports TemplateProcessing, or none)");
        }
        JsonNode specials = fields.requireObject(JsonFields.member(node, "special_tokens"), path + ".special_tokens");
        JsonNode single = fields.requireArray(JsonFields.member(node, "single"), path + ".single");
        List<Integer> before = new ArrayList<>();
        List<Integer> after = new ArrayList<>();
        boolean seenSequence = false;
        for (int i = 0; i < single.size(); i++) {
            String piecePath = JsonFields.element(path + ".single", i);
            JsonNode piece = fields.requireObject(single.get(i), piecePath);
            JsonNode special = JsonFields.member(piece, "SpecialToken");
            if (special != null) {
                String name = fields.requireString(JsonFields.member(fields.requireObject(special,
                        piecePath + ".SpecialToken"), "id"), piecePath + ".SpecialToken.id");
                String specialPath = path + ".special_tokens[" + JsonFields.quote(name) + "]";
                JsonNode entry = fields.requireObject(JsonFields.member(specials, name), specialPath);
                JsonNode ids = fields.requireArray(JsonFields.member(entry, "ids"), specialPath + ".ids");
                for (int k = 0; k < ids.size(); k++) {
                    int id = fields.requireInt(ids.get(k), JsonFields.element(specialPath + ".ids", k));
                    if (id < 0 || id >= idCount) {
                        throw fields.error(JsonFields.element(specialPath + ".ids", k), "id " + id
                                + " is not a token id (the tokenizer has ids 0 to " + (idCount - 1) + ")");
                    }
                    (seenSequence ? after : before).add(id);
                }
            } else if (JsonFields.member(piece, "Sequence") != null) {
                seenSequence = true;
            } else {
                throw fields.error(piecePath, "expected {\"SpecialToken\": ...} or {\"Sequence\": ...}");
            }
        }
        return new int[][] {
                before.stream().mapToInt(Integer::intValue).toArray(),
                after.stream().mapToInt(Integer::intValue).toArray()};
    }
}
