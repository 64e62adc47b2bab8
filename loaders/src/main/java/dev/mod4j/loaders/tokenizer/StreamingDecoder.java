package dev.mod4j.loaders.tokenizer;

import java.util.Arrays;

/**
 * Turns generated ids into text as they come, for printing, without ever cutting a multi-byte
 * UTF-8 character that arrives as several {@code <0xNN>} tokens. One per generation; not
 * thread-safe. Works with any decoder the tokenizer supports, the way HF tokenizers' DecodeStream
 * does: it re-decodes a short window of recent ids and emits what the window's text gained, holding
 * text back while it ends in U+FFFD (an incomplete byte sequence so far).
 *
 * <p>The concatenation of all {@link #next} results and {@link #finish()} equals
 * {@code tokenizer.decode(allIds, skipSpecial)} whenever every run of byte tokens is valid UTF-8,
 * which holds for everything {@code encode} produces. For a run that is not, {@code decode} turns
 * the whole run into one U+FFFD per byte, while this decoder may already have printed the valid
 * characters at its start; it then prints the rest of the window's new text after what it shares
 * with the text already printed.
 */
public final class StreamingDecoder {
    private final Tokenizer tokenizer;
    private final boolean skipSpecial;
    /** The ids since the start of the last emitted chunk's first token. */
    private int[] window = new int[8];
    private int windowSize;
    /** How many ids at the start of the window the emitted text {@code prefix} covers. */
    private int prefixIds;
    private String prefix = "";

    StreamingDecoder(Tokenizer tokenizer, boolean skipSpecial) {
        this.tokenizer = tokenizer;
        this.skipSpecial = skipSpecial;
    }

    /** Adds one id; returns the text it completes, possibly empty. */
    public String next(int id) {
        if (windowSize == window.length) {
            window = Arrays.copyOf(window, windowSize * 2);
        }
        window[windowSize++] = id;
        String text = tokenizer.decode(window, 0, windowSize, skipSpecial);
        if (text.length() <= prefix.length() || text.endsWith("\uFFFD")) {
            return "";
        }
        return emit(text);
    }

    /** The text still held back (an unfinished byte sequence at the end), once generation is over. */
    public String finish() {
        String text = tokenizer.decode(window, 0, windowSize, skipSpecial);
        if (text.equals(prefix)) {
            return "";
        }
        return emit(text);
    }

    private String emit(String text) {
        String added = text.startsWith(prefix) ? text.substring(prefix.length())
                : text.substring(commonPrefixLength(text, prefix));
        // The next window starts at this chunk's first id, so that decoders that treat the first
        // token specially (Strip, Metaspace) see the same first token in prefix and window.
        int chunkIds = windowSize - prefixIds;
        System.arraycopy(window, prefixIds, window, 0, chunkIds);
        windowSize = chunkIds;
        prefixIds = chunkIds;
        prefix = tokenizer.decode(window, 0, windowSize, skipSpecial);
        return added;
    }

    private static int commonPrefixLength(String a, String b) {
        int n = Math.min(a.length(), b.length());
        int i = 0;
        while (i < n && a.charAt(i) == b.charAt(i)) {
            i++;
        }
        if (i > 0 && Character.isHighSurrogate(a.charAt(i - 1))) {
            i--;
        }
        return i;
    }
}
