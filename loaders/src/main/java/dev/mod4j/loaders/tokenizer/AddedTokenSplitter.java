package dev.mod4j.loaders.tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Cuts text into added-token matches and the plain text between them, as HF tokenizers'
 * {@code AddedVocabulary::find_matches} does: leftmost-longest matching, then the
 * {@code single_word}, {@code lstrip} and {@code rstrip} rules of the matched token.
 */
final class AddedTokenSplitter {

    /** A piece of the text: {@code token} is the matched added token, or null for plain text. */
    record Segment(int start, int end, AddedToken token) {
    }

    private record Pattern(String text, AddedToken token) {
    }

    /** Patterns by first UTF-16 unit, longest first, so the first hit at a position is the longest. */
    private final Map<Character, List<Pattern>> patternsByFirstChar = new HashMap<>();

    /**
     * @param patterns the text each token is matched as (its content, or its normalized content for
     *                 tokens matched after normalization) mapped to the token
     */
    AddedTokenSplitter(Map<String, AddedToken> patterns) {
        patterns.forEach((text, token) -> {
            if (!text.isEmpty()) {
                patternsByFirstChar.computeIfAbsent(text.charAt(0), c -> new ArrayList<>())
                        .add(new Pattern(text, token));
            }
        });
        patternsByFirstChar.values().forEach(list ->
                list.sort(Comparator.comparingInt((Pattern p) -> p.text().length()).reversed()));
    }

    boolean isEmpty() {
        return patternsByFirstChar.isEmpty();
    }

    /** The segments covering {@code text} in order; none for empty text, never an empty segment. */
    List<Segment> split(String text) {
        List<Segment> segments = new ArrayList<>();
        int startOffset = 0;
        int searchFrom = 0;
        while (true) {
            Segment match = findLeftmostLongest(text, searchFrom);
            if (match == null) {
                break;
            }
            int start = match.start();
            int stop = match.end();
            AddedToken token = match.token();
            // Like the Aho-Corasick iterator HF uses, the search goes on after a match even when
            // the match is then discarded.
            searchFrom = stop;
            if (token.singleWord()) {
                boolean wordBefore = start > 0 && isWordChar(text.codePointBefore(start));
                boolean wordAfter = stop < text.length() && isWordChar(text.codePointAt(stop));
                if (wordBefore || wordAfter) {
                    continue;
                }
            }
            if (token.lstrip()) {
                int newStart = start;
                while (newStart > 0 && isWhiteSpace(text.codePointBefore(newStart))) {
                    newStart -= Character.charCount(text.codePointBefore(newStart));
                }
                // Whitespace an earlier match already took stays with it.
                start = Math.max(newStart, startOffset);
            }
            if (token.rstrip()) {
                while (stop < text.length() && isWhiteSpace(text.codePointAt(stop))) {
                    stop += Character.charCount(text.codePointAt(stop));
                }
                // HF resumes at the unstripped end and could then match inside the stripped
                // whitespace, overlapping this match; resuming after it keeps segments disjoint.
                searchFrom = stop;
            }
            if (startOffset < start) {
                segments.add(new Segment(startOffset, start, null));
            }
            segments.add(new Segment(start, stop, token));
            startOffset = stop;
        }
        if (startOffset < text.length()) {
            segments.add(new Segment(startOffset, text.length(), null));
        }
        return segments;
    }

    private Segment findLeftmostLongest(String text, int from) {
        for (int i = from; i < text.length(); i++) {
            List<Pattern> candidates = patternsByFirstChar.get(text.charAt(i));
            if (candidates == null) {
                continue;
            }
            // A low surrogate is never the start of a character, so no real match begins there.
            if (Character.isLowSurrogate(text.charAt(i)) && i > 0 && Character.isHighSurrogate(text.charAt(i - 1))) {
                continue;
            }
            for (Pattern p : candidates) {
                if (text.startsWith(p.text(), i)) {
                    return new Segment(i, i + p.text().length(), p.token());
                }
            }
        }
        return null;
    }

    /** Rust regex's Unicode {@code \s}: the White_Space property. */
    static boolean isWhiteSpace(int cp) {
        return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F
                || cp == 0x205F || cp == 0x3000;
    }

    /** Rust regex's Unicode {@code \w}: Alphabetic, marks, decimal digits, connector punctuation, joiners. */
    static boolean isWordChar(int cp) {
        if (Character.isAlphabetic(cp) || cp == 0x200C || cp == 0x200D) {
            return true;
        }
        return switch (Character.getType(cp)) {
            case Character.NON_SPACING_MARK, Character.ENCLOSING_MARK, Character.COMBINING_SPACING_MARK,
                 Character.DECIMAL_DIGIT_NUMBER, Character.CONNECTOR_PUNCTUATION -> true;
            default -> false;
        };
    }
}
