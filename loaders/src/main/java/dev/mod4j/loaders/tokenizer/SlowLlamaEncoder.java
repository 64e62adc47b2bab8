package dev.mod4j.loaders.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Encoding as transformers' slow {@code LlamaTokenizer} (v4.37.2, what LLaVA's builder loads with
 * {@code use_fast=False}) does it on top of SentencePiece, without bos/eos:
 * <ol>
 *   <li>{@code PreTrainedTokenizer.tokenize}: added tokens ({@code <s>}, {@code </s>},
 *       {@code <unk>}, {@code added_tokens_decoder}) are cut out of the raw text, leftmost-longest;
 *       an {@code rstrip} token strips the whitespace at the start of the next chunk, an
 *       {@code lstrip} one that at the end of the previous chunk (Python's {@code str.strip});
 *       every other chunk is encoded by SentencePiece on its own.</li>
 *   <li>{@code legacy=true}: each chunk through SentencePiece as the file says, so every chunk,
 *       also one right after a special token, gets the dummy-prefix "▁".</li>
 *   <li>{@code legacy=false}: SentencePiece runs with {@code add_dummy_prefix} off; the whole text
 *       gets one "▁" in front (its own "▁" read as spaces first), which is dropped again when a
 *       special token follows it directly; a chunk starting with a space or "▁" is encoded as
 *       {@code unk_token + chunk} with the unk token's pieces cut off, so its leading space stays
 *       a "▁" that SentencePiece would otherwise strip. So text after a special token gets no "▁"
 *       unless it starts with a space.</li>
 * </ol>
 */
final class SlowLlamaEncoder {
    private static final String SPIECE_UNDERLINE = "\u2581";

    private final SentencePieceBpe bpe;
    private final boolean legacy;
    private final boolean addDummyPrefix;
    private final String unkToken;
    private final int unkTokenLength;
    private final AddedTokenSplitter splitter;
    /** The added tokens by content, with their lstrip/rstrip flags (the splitter matches without them). */
    private final Map<String, AddedToken> addedTokens;
    /** {@code all_special_tokens}: bos, eos, unk, pad and additional_special_tokens. */
    private final Set<String> allSpecialTokens;
    private final int spaceId;

    SlowLlamaEncoder(SentencePieceBpe bpe, boolean legacy, String unkToken, Map<String, AddedToken> addedTokens,
                     Set<String> allSpecialTokens) {
        this.bpe = bpe;
        this.legacy = legacy;
        this.addDummyPrefix = legacy && bpe.model().addDummyPrefix;
        this.unkToken = unkToken;
        IntList unkPieces = new IntList(8);
        bpe.encode(unkToken, addDummyPrefix, unkPieces);
        this.unkTokenLength = unkPieces.size();
        this.addedTokens = Map.copyOf(addedTokens);
        Map<String, AddedToken> plain = new java.util.HashMap<>();
        addedTokens.forEach((content, t) -> plain.put(content,
                new AddedToken(t.id(), t.content(), t.special(), false, false, false, false)));
        this.splitter = new AddedTokenSplitter(plain);
        this.allSpecialTokens = Set.copyOf(allSpecialTokens);
        Integer space = bpe.model().mergeablePieces.get(SPIECE_UNDERLINE);
        this.spaceId = space == null ? -1 : space;
    }

    void encode(String text, IntList out) {
        if (legacy || text.isEmpty()) {
            tokenize(text, out);
            return;
        }
        IntList ids = new IntList(text.length() / 2 + 2);
        boolean firstIsLoneSpaceBeforeSpecial = tokenize(SPIECE_UNDERLINE + text.replace('\u2581', ' '), ids);
        int[] all = ids.toArray();
        for (int i = firstIsLoneSpaceBeforeSpecial ? 1 : 0; i < all.length; i++) {
            out.add(all[i]);
        }
    }

    /**
     * Appends the ids of the chunks; returns whether the first token is "▁" alone and the second a
     * special token (what {@code LlamaTokenizer.tokenize} then drops).
     */
    private boolean tokenize(String text, IntList out) {
        List<AddedTokenSplitter.Segment> segments = splitter.split(text);
        List<String> chunks = new ArrayList<>(segments.size());
        for (AddedTokenSplitter.Segment s : segments) {
            chunks.add(text.substring(s.start(), s.end()));
        }
        for (int i = 0; i < segments.size(); i++) {
            AddedToken token = original(segments.get(i));
            if (token == null) {
                continue;
            }
            if (token.rstrip() && i + 1 < chunks.size() && !chunks.get(i + 1).isEmpty()) {
                chunks.set(i + 1, pythonLstrip(chunks.get(i + 1)));
            }
            if (token.lstrip() && i > 0 && !chunks.get(i - 1).isEmpty()) {
                chunks.set(i - 1, pythonRstrip(chunks.get(i - 1)));
            }
        }
        int tokensBefore = out.size();
        boolean firstIsLoneSpace = false;
        boolean secondIsSpecial = false;
        for (int i = 0; i < segments.size(); i++) {
            String chunk = chunks.get(i);
            if (chunk.isEmpty()) {
                continue;
            }
            AddedToken token = original(segments.get(i));
            int at = out.size() - tokensBefore;
            if (token != null) {
                out.add(token.id());
                secondIsSpecial |= at == 1 && allSpecialTokens.contains(token.content());
            } else {
                int before = out.size();
                encodeChunk(chunk, out);
                firstIsLoneSpace |= at == 0 && out.size() - before >= 1 && out.get(before) == spaceId;
            }
        }
        return firstIsLoneSpace && secondIsSpecial;
    }

    private AddedToken original(AddedTokenSplitter.Segment segment) {
        return segment.token() == null ? null : addedTokens.get(segment.token().content());
    }

    /** {@code LlamaTokenizer._tokenize}. */
    private void encodeChunk(String chunk, IntList out) {
        if (legacy || !(chunk.startsWith(SPIECE_UNDERLINE) || chunk.startsWith(" "))) {
            bpe.encode(chunk, addDummyPrefix, out);
            return;
        }
        IntList ids = new IntList(chunk.length() + unkTokenLength);
        bpe.encode(unkToken + chunk, false, ids);
        int[] all = ids.toArray();
        for (int i = all.length >= unkTokenLength ? unkTokenLength : 0; i < all.length; i++) {
            out.add(all[i]);
        }
    }

    /** Python's {@code str.isspace()} for one character. */
    static boolean isPythonSpace(int cp) {
        return Character.isWhitespace(cp) || Character.getType(cp) == Character.SPACE_SEPARATOR || cp == 0x85;
    }

    private static String pythonLstrip(String s) {
        int i = 0;
        while (i < s.length() && isPythonSpace(s.codePointAt(i))) {
            i += Character.charCount(s.codePointAt(i));
        }
        return s.substring(i);
    }

    private static String pythonRstrip(String s) {
        int i = s.length();
        while (i > 0 && isPythonSpace(s.codePointBefore(i))) {
            i -= Character.charCount(s.codePointBefore(i));
        }
        return s.substring(0, i);
    }
}
