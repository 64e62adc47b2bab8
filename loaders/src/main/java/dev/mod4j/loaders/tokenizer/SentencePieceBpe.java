package dev.mod4j.loaders.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * SentencePiece's own encoding and decoding for a BPE {@link SentencePieceModel}, as v0.1.97's
 * {@code Normalizer::Normalize}, {@code bpe::Model::SampleEncode} (without dropout),
 * {@code SentencePieceProcessor::PopulateSentencePieceText} and {@code ::Decode} do it:
 * <ol>
 *   <li>Normalize: with {@code remove_extra_whitespaces}, drop leading, trailing and repeated
 *       spaces; prepend "▁" (the dummy prefix) unless the text is empty; spaces become "▁".
 *       User-defined symbols are copied whole.</li>
 *   <li>Split into characters, user-defined symbols kept whole and never merged.</li>
 *   <li>Repeatedly merge the adjacent pair whose concatenation is a piece with the highest score,
 *       the leftmost among equal scores. Unused pieces so formed are split back into the pieces
 *       they were merged from.</li>
 *   <li>A symbol that is no piece becomes the {@code <0xNN>} pieces of its UTF-8 bytes (byte
 *       fallback), or else the unknown id, consecutive unknowns fused into one.</li>
 * </ol>
 * Control pieces ({@code <s>}, {@code </s>}) are never produced from text.
 */
final class SentencePieceBpe {
    static final char SPACE_SYMBOL = '\u2581';

    private final SentencePieceModel model;

    SentencePieceBpe(SentencePieceModel model) {
        this.model = model;
    }

    SentencePieceModel model() {
        return model;
    }

    /**
     * Encodes text as {@code sp.encode(text)} does, appending the ids to {@code out}.
     *
     * @param addDummyPrefix the normalizer spec's {@code add_dummy_prefix}, or false where
     *                       transformers' non-legacy LlamaTokenizer switches it off
     */
    void encode(String text, boolean addDummyPrefix, IntList out) {
        String normalized = normalize(text, addDummyPrefix);
        if (normalized.isEmpty()) {
            return;
        }
        boolean previousUnknown = false;
        for (String piece : mergeSymbols(normalized)) {
            int id = model.pieceToId(piece);
            boolean unknown = model.types[id] == SentencePieceModel.UNKNOWN;
            if (unknown && model.byteFallback) {
                for (byte b : piece.getBytes(StandardCharsets.UTF_8)) {
                    out.add(model.byteIds[b & 0xFF]);
                }
            } else if (!(unknown && previousUnknown)) {
                out.add(id);
            }
            previousUnknown = unknown;
        }
    }

    // ---- normalization ----

    String normalize(String text, boolean addDummyPrefix) {
        if (text.isEmpty()) {
            return "";
        }
        boolean removeExtra = model.removeExtraWhitespaces;
        int pos = 0;
        if (removeExtra) {
            while (pos < text.length() && prefixAt(text, pos).equals(" ")) {
                pos++;
            }
            if (pos == text.length()) {
                return "";
            }
        }
        StringBuilder out = new StringBuilder(text.length() + 4);
        String space = model.escapeWhitespaces ? String.valueOf(SPACE_SYMBOL) : " ";
        boolean suffix = model.treatWhitespaceAsSuffix;
        if (!suffix && addDummyPrefix) {
            out.append(space);
        }
        boolean previousSpace = removeExtra;
        while (pos < text.length()) {
            String prefix = prefixAt(text, pos);
            pos += prefix.length();
            String piece = prefix;
            if (previousSpace) {
                int skip = 0;
                while (skip < piece.length() && piece.charAt(skip) == ' ') {
                    skip++;
                }
                piece = piece.substring(skip);
            }
            if (!piece.isEmpty()) {
                out.append(model.escapeWhitespaces ? piece.replace(' ', SPACE_SYMBOL) : piece);
                previousSpace = piece.endsWith(" ");
            }
            if (!removeExtra) {
                previousSpace = false;
            }
        }
        if (removeExtra) {
            while (out.length() > 0 && out.charAt(out.length() - 1) == space.charAt(0)) {
                out.setLength(out.length() - 1);
            }
        }
        if (suffix && addDummyPrefix) {
            out.append(space);
        }
        return out.toString();
    }

    /** The longest user-defined symbol starting at pos, else the character there. */
    private String prefixAt(String text, int pos) {
        int length = userSymbolLength(text, pos);
        if (length == 0) {
            length = Character.charCount(text.codePointAt(pos));
        }
        return text.substring(pos, pos + length);
    }

    private int userSymbolLength(String text, int pos) {
        int longest = 0;
        for (String symbol : model.userDefinedSymbols) {
            if (symbol.length() > longest && text.startsWith(symbol, pos)) {
                longest = symbol.length();
            }
        }
        return longest;
    }

    // ---- BPE ----

    /** One merge candidate: symbols left and right, whose concatenation is a piece of this score. */
    private record Candidate(int left, int right, float score, int length) {
    }

    private List<String> mergeSymbols(String normalized) {
        int capacity = normalized.length();
        int[] start = new int[capacity];
        int[] length = new int[capacity];
        int[] prev = new int[capacity];
        int[] next = new int[capacity];
        boolean[] frozen = new boolean[capacity];
        int count = 0;
        for (int pos = 0; pos < normalized.length(); count++) {
            int symbolLength = userSymbolLength(normalized, pos);
            frozen[count] = symbolLength > 0;
            if (symbolLength == 0) {
                symbolLength = Character.charCount(normalized.codePointAt(pos));
            }
            start[count] = pos;
            length[count] = symbolLength;
            prev[count] = count - 1;
            pos += symbolLength;
            next[count] = pos < normalized.length() ? count + 1 : -1;
        }
        // Highest score first, then leftmost: SentencePiece's SymbolPairComparator.
        PriorityQueue<Candidate> agenda = new PriorityQueue<>((a, b) -> a.score != b.score
                ? Float.compare(b.score, a.score) : Integer.compare(a.left, b.left));
        Map<String, String[]> reverseMerges = new HashMap<>();
        for (int i = 1; i < count; i++) {
            offer(normalized, i - 1, i, start, length, frozen, agenda, reverseMerges);
        }
        while (!agenda.isEmpty()) {
            Candidate top = agenda.poll();
            // Stale: one side was merged away or grew since the candidate was queued.
            if (length[top.left] == 0 || length[top.right] == 0
                    || length[top.left] + length[top.right] != top.length) {
                continue;
            }
            length[top.left] += length[top.right];
            next[top.left] = next[top.right];
            if (next[top.right] >= 0) {
                prev[next[top.right]] = top.left;
            }
            length[top.right] = 0;
            if (prev[top.left] >= 0) {
                offer(normalized, prev[top.left], top.left, start, length, frozen, agenda, reverseMerges);
            }
            if (next[top.left] >= 0) {
                offer(normalized, top.left, next[top.left], start, length, frozen, agenda, reverseMerges);
            }
        }
        List<String> pieces = new ArrayList<>();
        for (int i = 0; i >= 0 && count > 0; i = next[i]) {
            resegment(normalized.substring(start[i], start[i] + length[i]), reverseMerges, pieces);
        }
        return pieces;
    }

    private void offer(String text, int left, int right, int[] start, int[] length, boolean[] frozen,
                       PriorityQueue<Candidate> agenda, Map<String, String[]> reverseMerges) {
        if (frozen[left] || frozen[right]) {
            return;
        }
        int merged = length[left] + length[right];
        String piece = text.substring(start[left], start[left] + merged);
        Integer id = model.mergeablePieces.get(piece);
        if (id == null) {
            return;
        }
        agenda.add(new Candidate(left, right, model.scores[id], merged));
        if (model.types[id] == SentencePieceModel.UNUSED) {
            reverseMerges.put(piece, new String[]{text.substring(start[left], start[left] + length[left]),
                    text.substring(start[right], start[right] + length[right])});
        }
    }

    /** Splits an unused piece back into the pieces it was merged from. */
    private void resegment(String piece, Map<String, String[]> reverseMerges, List<String> out) {
        int id = model.pieceToId(piece);
        String[] parts = model.types[id] == SentencePieceModel.UNUSED ? reverseMerges.get(piece) : null;
        if (parts == null) {
            out.add(piece);
            return;
        }
        resegment(parts[0], reverseMerges, out);
        resegment(parts[1], reverseMerges, out);
    }

    // ---- decoding ----

    /**
     * Decodes ids as {@code sp.decode(ids)} does: control pieces vanish, the unknown piece becomes the
     * unk surface, runs of byte pieces are read as UTF-8 (each invalid byte a U+FFFD), "▁" becomes a
     * space, and the first piece loses the "▁" the dummy prefix put there. Ids must be pieces.
     */
    String decode(int[] ids, int from, int to) {
        StringBuilder text = new StringBuilder();
        boolean expectBosSpace = true;
        boolean bosSpaceSeen = false;
        int byteStart = from;
        for (int i = from; i < to; i++) {
            int id = ids[i];
            if (model.types[id] == SentencePieceModel.BYTE) {
                continue;
            }
            appendBytes(ids, byteStart, i, text);
            if (bosSpaceSeen || !text.isEmpty()) {
                expectBosSpace = false;
            }
            byteStart = i + 1;
            bosSpaceSeen = false;
            String piece = model.pieces[id];
            int type = model.types[id];
            if (type == SentencePieceModel.CONTROL) {
                continue;
            }
            if (type == SentencePieceModel.UNKNOWN) {
                text.append(model.unkSurface);
                continue;
            }
            if (expectBosSpace && (model.addDummyPrefix || model.removeExtraWhitespaces)
                    && piece.charAt(0) == SPACE_SYMBOL) {
                piece = piece.substring(1);
                // With remove_extra_whitespaces every leading space goes, so keep expecting one.
                bosSpaceSeen = !model.removeExtraWhitespaces;
            }
            text.append(piece.replace(SPACE_SYMBOL, ' '));
        }
        appendBytes(ids, byteStart, to, text);
        return text.toString();
    }

    private void appendBytes(int[] ids, int from, int to, StringBuilder text) {
        if (from >= to) {
            return;
        }
        byte[] bytes = new byte[to - from];
        for (int i = from; i < to; i++) {
            bytes[i - from] = (byte) SentencePieceModel.pieceToByte(model.pieces[ids[i]]);
        }
        for (int pos = 0; pos < bytes.length; ) {
            int length = validUtf8Length(bytes, pos);
            if (length == 0) {
                text.append('\uFFFD');
                pos++;
            } else {
                text.append(new String(bytes, pos, length, StandardCharsets.UTF_8));
                pos += length;
            }
        }
    }

    /** SentencePiece's {@code DecodeUTF8}: the length of the valid character at pos, or 0. */
    private static int validUtf8Length(byte[] b, int pos) {
        int len = b.length - pos;
        int b0 = b[pos] & 0xFF;
        if (b0 < 0x80) {
            return 1;
        }
        if (len >= 2 && (b0 & 0xE0) == 0xC0 && trail(b[pos + 1])) {
            int cp = (b0 & 0x1F) << 6 | (b[pos + 1] & 0x3F);
            return cp >= 0x80 ? 2 : 0;
        }
        if (len >= 3 && (b0 & 0xF0) == 0xE0 && trail(b[pos + 1]) && trail(b[pos + 2])) {
            int cp = (b0 & 0x0F) << 12 | (b[pos + 1] & 0x3F) << 6 | (b[pos + 2] & 0x3F);
            return cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF) ? 3 : 0;
        }
        if (len >= 4 && (b0 & 0xF8) == 0xF0 && trail(b[pos + 1]) && trail(b[pos + 2]) && trail(b[pos + 3])) {
            int cp = (b0 & 0x07) << 18 | (b[pos + 1] & 0x3F) << 12 | (b[pos + 2] & 0x3F) << 6 | (b[pos + 3] & 0x3F);
            return cp >= 0x10000 && cp <= 0x10FFFF ? 4 : 0;
        }
        return 0;
    }

    private static boolean trail(byte b) {
        return (b & 0xC0) == 0x80;
    }
}
