package dev.mod4j.loaders.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;

/**
 * The fields of transformers' tokenizer_config.json that decide how text is wrapped in special
 * tokens. Everything else in it (chat_template, model_max_length, padding_side, ...) is ignored;
 * so is {@code legacy}, which transformers only consults when it rebuilds tokenizer.json from a
 * SentencePiece model, never when tokenizer.json is there. A null field was absent or JSON null.
 *
 * @param addBosToken whether encoding starts with {@code bos_token} by default
 * @param addEosToken whether encoding ends with {@code eos_token} by default
 * @param bosToken    the content of the beginning-of-sequence token, e.g. {@code <s>}
 * @param eosToken    the content of the end-of-sequence token, e.g. {@code </s>}
 * @param unkToken    the content of the unknown token
 * @param padToken    the content of the padding token
 */
record TokenizerConfig(Boolean addBosToken, Boolean addEosToken, String bosToken, String eosToken,
                       String unkToken, String padToken) {

    static final TokenizerConfig ABSENT = new TokenizerConfig(null, null, null, null, null, null);

    static TokenizerConfig read(Path path) {
        JsonFields fields = new JsonFields(path.toString());
        JsonNode root = fields.requireObject(JsonFields.readTree(path, fields), "(top level)");
        return new TokenizerConfig(
                optionalBoolean(fields, root, "add_bos_token"),
                optionalBoolean(fields, root, "add_eos_token"),
                tokenContent(fields, root, "bos_token"),
                tokenContent(fields, root, "eos_token"),
                tokenContent(fields, root, "unk_token"),
                tokenContent(fields, root, "pad_token"));
    }

    private static Boolean optionalBoolean(JsonFields fields, JsonNode root, String name) {
        return JsonFields.member(root, name) == null ? null : fields.optionalBoolean(root, name, "", false);
    }

    /** A special token given as {@code "<s>"} or as {@code {"__type": "AddedToken", "content": "<s>", ...}}. */
    private static String tokenContent(JsonFields fields, JsonNode root, String name) {
        JsonNode value = JsonFields.member(root, name);
        if (value == null) {
            return null;
        }
        if (value.isObject()) {
            return fields.requireString(JsonFields.member(value, "content"), name + ".content");
        }
        if (!value.isTextual()) {
            throw fields.error(name, "expected a string or an object with \"content\", found "
                    + JsonFields.describe(value));
        }
        return value.textValue();
    }
}
