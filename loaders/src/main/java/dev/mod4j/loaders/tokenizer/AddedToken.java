package dev.mod4j.loaders.tokenizer;

/**
 * One entry of tokenizer.json's {@code added_tokens}: a token matched in the text as a whole,
 * before BPE, and never split. {@code <s>}, {@code </s>}, {@code <unk>} and LLaVA's {@code <image>}
 * are added tokens.
 *
 * @param id         the token id
 * @param content    the text the token stands for
 * @param special    skipped by {@code decode(ids, true)}
 * @param singleWord matched only when not inside a word (no word character just before or after)
 * @param lstrip     a match also takes the whitespace just before it
 * @param rstrip     a match also takes the whitespace just after it
 * @param normalized matched in the normalized text rather than in the raw text
 */
record AddedToken(int id, String content, boolean special, boolean singleWord, boolean lstrip, boolean rstrip,
                  boolean normalized) {
}
