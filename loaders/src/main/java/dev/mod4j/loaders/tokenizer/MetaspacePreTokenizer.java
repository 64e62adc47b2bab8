package dev.mod4j.loaders.tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * The {@code Metaspace} pre-tokenizer of newer LLaMA-family tokenizer.json files (those written
 * with {@code legacy=false}, which have {@code "normalizer": null}). It replaces spaces with the
 * replacement character, may prepend one, and may split the text into words before BPE.
 *
 * @param replacement   the character standing for a space, "▁" (U+2581) in every real file
 * @param prependScheme when to prepend the replacement to a piece of text
 * @param split         whether to cut the text before every replacement character, so that BPE runs
 *                      on each word separately
 */
record MetaspacePreTokenizer(int replacement, PrependScheme prependScheme, boolean split) {

    enum PrependScheme {
        /** Prepend to every piece of text between added tokens. */
        ALWAYS,
        /** Prepend only to a piece that starts the original text, not to text after an added token. */
        FIRST,
        NEVER
    }

    /**
     * The words of one piece of text, in order.
     *
     * @param startsText whether the piece begins at offset 0 of the text given to encode: that is
     *                   what HF's {@code first} scheme tests ({@code offsets_original().0 == 0})
     */
    List<String> preTokenize(String text, boolean startsText) {
        String rep = Character.toString(replacement);
        String replaced = text.replace(" ", rep);
        boolean prepend = switch (prependScheme) {
            case ALWAYS -> true;
            case FIRST -> startsText;
            case NEVER -> false;
        };
        // HF prepends only when the text does not already start with the replacement.
        if (prepend && !replaced.startsWith(rep)) {
            replaced = rep + replaced;
        }
        if (!split) {
            return List.of(replaced);
        }
        // HF's MergedWithNext split: every replacement character starts a new word, so
        // "a▁▁b" becomes ["a", "▁", "▁b"].
        List<String> words = new ArrayList<>();
        int start = 0;
        for (int i = replaced.indexOf(rep, 1); i >= 0; i = replaced.indexOf(rep, i + rep.length())) {
            words.add(replaced.substring(start, i));
            start = i;
        }
        words.add(replaced.substring(start));
        return words;
    }
}
