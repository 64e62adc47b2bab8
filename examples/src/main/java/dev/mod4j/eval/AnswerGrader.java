package dev.mod4j.eval;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Grades an answer against ground truth, normalised the way LLaVA's evaluation scripts do:
 * <ul>
 *   <li><b>multiple choice</b> (ground truth one letter, e.g. {@code B}, {@code (B)}, {@code B.}): the answer's
 *       letter is its first character when alone or followed by '.', ')' or ':' ({@code "B"}, {@code "B. a cat"},
 *       {@code "(B)"}; not the article in {@code "A cat"}), else the letter after "answer is" (ScienceQA's
 *       {@code "The answer is B."}); no letter is wrong;</li>
 *   <li><b>yes/no</b> (ground truth yes or no): as POPE's evaluation, the first sentence's words decide: "no" or
 *       "not" means no, "yes" means yes; an answer with neither is wrong (POPE would count it as yes);</li>
 *   <li><b>anything else</b>: exact match after lowercasing and removing punctuation and articles, against any of
 *       the acceptable answers.</li>
 * </ul>
 */
public final class AnswerGrader {
    private static final Pattern LETTER = Pattern.compile("^\\(?([A-Za-z])\\)?\\.?$");
    private static final Pattern LEADING_LETTER = Pattern.compile("^\\(?([A-Z])(?:[).:]|$)");
    private static final Pattern ANSWER_IS = Pattern.compile("answer is:?\\s*\\(?([A-Z])\\b");

    /** The kind of a ground truth. */
    public enum Kind { MULTIPLE_CHOICE, YES_NO, FREE_FORM }

    private AnswerGrader() {
    }

    public static Kind kind(String groundTruth) {
        String g = groundTruth.trim();
        if (LETTER.matcher(g).matches()) {
            return Kind.MULTIPLE_CHOICE;
        }
        String n = normalize(g);
        return n.equals("yes") || n.equals("no") ? Kind.YES_NO : Kind.FREE_FORM;
    }

    /** True when {@code answer} matches one of {@code groundTruth}; empty when there is no ground truth. */
    public static Optional<Boolean> grade(List<String> groundTruth, String answer) {
        if (groundTruth.isEmpty()) {
            return Optional.empty();
        }
        for (String g : groundTruth) {
            if (correct(g, answer)) {
                return Optional.of(true);
            }
        }
        return Optional.of(false);
    }

    static boolean correct(String groundTruth, String answer) {
        return switch (kind(groundTruth)) {
            case MULTIPLE_CHOICE -> {
                Matcher m = LETTER.matcher(groundTruth.trim());
                m.matches();
                String letter = choiceLetter(answer);
                yield letter != null && letter.equalsIgnoreCase(m.group(1));
            }
            case YES_NO -> normalize(groundTruth).equals(yesNo(answer));
            case FREE_FORM -> normalize(groundTruth).equals(normalize(answer));
        };
    }

    /** The option letter an answer gives, or null. */
    public static String choiceLetter(String answer) {
        String a = answer.trim();
        Matcher m = LEADING_LETTER.matcher(a);
        if (m.find()) {
            return m.group(1);
        }
        m = ANSWER_IS.matcher(a);
        return m.find() ? m.group(1) : null;
    }

    /** "yes", "no", or null when the answer's first sentence says neither. */
    public static String yesNo(String answer) {
        String first = answer.trim().split("\\.", 2)[0].replace(",", "").toLowerCase(Locale.ROOT);
        List<String> words = List.of(first.split("\\s+"));
        if (words.contains("no") || words.contains("not")) {
            return "no";
        }
        return words.contains("yes") ? "yes" : null;
    }

    /** Lowercase, punctuation removed, articles (a, an, the) dropped, whitespace collapsed. */
    public static String normalize(String text) {
        String s = text.toLowerCase(Locale.ROOT).replaceAll("[\\p{Punct}]", " ");
        s = s.replaceAll("\\b(a|an|the)\\b", " ");
        return s.trim().replaceAll("\\s+", " ");
    }
}
