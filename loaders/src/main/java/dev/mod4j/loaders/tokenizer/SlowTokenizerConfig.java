package dev.mod4j.loaders.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * What transformers' slow {@code LlamaTokenizer} (v4.37.2) reads from tokenizer_config.json beyond
 * {@link TokenizerConfig}, used only with a SentencePiece tokenizer.model: {@code legacy},
 * {@code added_tokens_decoder} and {@code additional_special_tokens}; plus special_tokens_map.json,
 * whose bos/eos/unk/pad tokens take precedence over tokenizer_config.json's as in
 * {@code PreTrainedTokenizerBase._from_pretrained}.
 *
 * @param legacy                  null when absent: transformers 4.37.2 then warns and uses true
 * @param addedTokens             the entries of {@code added_tokens_decoder}
 * @param additionalSpecialTokens contents of {@code additional_special_tokens}
 * @param special                 bos/eos/unk/pad and add_bos/add_eos, special_tokens_map.json first
 */
record SlowTokenizerConfig(Boolean legacy, List<AddedToken> addedTokens, List<String> additionalSpecialTokens,
                           TokenizerConfig special) {

    static SlowTokenizerConfig read(Path configPath, Path specialTokensMapPath) {
        TokenizerConfig config = Files.isRegularFile(configPath) ? TokenizerConfig.read(configPath)
                : TokenizerConfig.ABSENT;
        TokenizerConfig map = Files.isRegularFile(specialTokensMapPath) ? TokenizerConfig.read(specialTokensMapPath)
                : TokenizerConfig.ABSENT;
        TokenizerConfig special = new TokenizerConfig(config.addBosToken(), config.addEosToken(),
                first(map.bosToken(), config.bosToken()), first(map.eosToken(), config.eosToken()),
                first(map.unkToken(), config.unkToken()), first(map.padToken(), config.padToken()));
        List<String> additional = new ArrayList<>();
        if (Files.isRegularFile(specialTokensMapPath)) {
            additional.addAll(additionalSpecialTokens(specialTokensMapPath));
        }
        if (!Files.isRegularFile(configPath)) {
            return new SlowTokenizerConfig(null, List.of(), additional, special);
        }
        JsonFields fields = new JsonFields(configPath.toString());
        JsonNode root = fields.requireObject(JsonFields.readTree(configPath, fields), "(top level)");
        Boolean legacy = JsonFields.member(root, "legacy") == null ? null
                : fields.optionalBoolean(root, "legacy", "", true);
        List<AddedToken> added = new ArrayList<>();
        JsonNode decoder = JsonFields.member(root, "added_tokens_decoder");
        if (decoder != null) {
            fields.requireObject(decoder, "added_tokens_decoder");
            for (Iterator<Map.Entry<String, JsonNode>> it = decoder.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> entry = it.next();
                added.add(addedToken(fields, entry.getKey(), entry.getValue()));
            }
        }
        if (additional.isEmpty()) {
            additional.addAll(additionalSpecialTokens(configPath));
        }
        return new SlowTokenizerConfig(legacy, added, additional, special);
    }

    private static <T> T first(T preferred, T fallback) {
        return preferred != null ? preferred : fallback;
    }

    private static AddedToken addedToken(JsonFields fields, String key, JsonNode node) {
        String path = "added_tokens_decoder." + key;
        int id;
        try {
            id = Integer.parseInt(key);
        } catch (NumberFormatException e) {
            throw fields.error(path, "the key is not a token id");
        }
        if (id < 0) {
            throw fields.error(path, "the token id is negative");
        }
        fields.requireObject(node, path);
        String content = fields.requireString(JsonFields.member(node, "content"), JsonFields.child(path, "content"));
        if (fields.optionalBoolean(node, "single_word", path, false)) {
            throw fields.error(path, "single_word tokens are not supported with a SentencePiece tokenizer.model");
        }
        return new AddedToken(id, content, fields.optionalBoolean(node, "special", path, false), false,
                fields.optionalBoolean(node, "lstrip", path, false), fields.optionalBoolean(node, "rstrip", path, false),
                fields.optionalBoolean(node, "normalized", path, false));
    }

    private static List<String> additionalSpecialTokens(Path path) {
        JsonFields fields = new JsonFields(path.toString());
        JsonNode root = fields.requireObject(JsonFields.readTree(path, fields), "(top level)");
        JsonNode list = JsonFields.member(root, "additional_special_tokens");
        List<String> out = new ArrayList<>();
        if (list == null) {
            return out;
        }
        fields.requireArray(list, "additional_special_tokens");
        for (int i = 0; i < list.size(); i++) {
            String element = JsonFields.element("additional_special_tokens", i);
            JsonNode token = list.get(i);
            out.add(token.isObject()
                    ? fields.requireString(JsonFields.member(token, "content"), JsonFields.child(element, "content"))
                    : fields.requireString(token, element));
        }
        return out;
    }
}
