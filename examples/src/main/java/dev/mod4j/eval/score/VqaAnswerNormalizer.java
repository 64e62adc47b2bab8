package dev.mod4j.eval.score;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The answer normalisation of VQA-style benchmarks, as LLaVA's {@code llava/eval/m4c_evaluator.py}
 * ({@code EvalAIAnswerProcessor}, haotian-liu/LLaVA@c121f04, itself from facebookresearch/mmf) does it: lowercase,
 * commas and '?' dropped, punctuation removed or spaced, periods not before a digit removed, number words to digits,
 * articles dropped, contractions restored. Its quirks are kept, because the published numbers were computed with them:
 * the period pattern's {@code (?!<=\d)} is a lookahead (so "1.5" keeps its period only because a digit follows), and
 * {@code re.UNICODE} lands in {@code sub}'s count argument, so at most 32 periods are removed.
 */
public final class VqaAnswerNormalizer {
    private static final String[] CONTRACTION_PAIRS = {
            "aint", "ain't", "arent", "aren't", "cant", "can't", "couldve", "could've",
            "couldnt", "couldn't", "couldn'tve", "couldn't've", "couldnt've", "couldn't've", "didnt", "didn't",
            "doesnt", "doesn't", "dont", "don't", "hadnt", "hadn't", "hadnt've", "hadn't've",
            "hadn'tve", "hadn't've", "hasnt", "hasn't", "havent", "haven't", "hed", "he'd",
            "hed've", "he'd've", "he'dve", "he'd've", "hes", "he's", "howd", "how'd",
            "howll", "how'll", "hows", "how's", "Id've", "I'd've", "I'dve", "I'd've",
            "Im", "I'm", "Ive", "I've", "isnt", "isn't", "itd", "it'd",
            "itd've", "it'd've", "it'dve", "it'd've", "itll", "it'll", "let's", "let's",
            "maam", "ma'am", "mightnt", "mightn't", "mightnt've", "mightn't've", "mightn'tve", "mightn't've",
            "mightve", "might've", "mustnt", "mustn't", "mustve", "must've", "neednt", "needn't",
            "notve", "not've", "oclock", "o'clock", "oughtnt", "oughtn't", "ow's'at", "'ow's'at",
            "'ows'at", "'ow's'at", "'ow'sat", "'ow's'at", "shant", "shan't", "shed've", "she'd've",
            "she'dve", "she'd've", "she's", "she's", "shouldve", "should've", "shouldnt", "shouldn't",
            "shouldnt've", "shouldn't've", "shouldn'tve", "shouldn't've", "somebody'd", "somebodyd", "somebodyd've", "somebody'd've",
            "somebody'dve", "somebody'd've", "somebodyll", "somebody'll", "somebodys", "somebody's", "someoned", "someone'd",
            "someoned've", "someone'd've", "someone'dve", "someone'd've", "someonell", "someone'll", "someones", "someone's",
            "somethingd", "something'd", "somethingd've", "something'd've", "something'dve", "something'd've", "somethingll", "something'll",
            "thats", "that's", "thered", "there'd", "thered've", "there'd've", "there'dve", "there'd've",
            "therere", "there're", "theres", "there's", "theyd", "they'd", "theyd've", "they'd've",
            "they'dve", "they'd've", "theyll", "they'll", "theyre", "they're", "theyve", "they've",
            "twas", "'twas", "wasnt", "wasn't", "wed've", "we'd've", "we'dve", "we'd've",
            "weve", "we've", "werent", "weren't", "whatll", "what'll", "whatre", "what're",
            "whats", "what's", "whatve", "what've", "whens", "when's", "whered", "where'd",
            "wheres", "where's", "whereve", "where've", "whod", "who'd", "whod've", "who'd've",
            "who'dve", "who'd've", "wholl", "who'll", "whos", "who's", "whove", "who've",
            "whyll", "why'll", "whyre", "why're", "whys", "why's", "wont", "won't",
            "wouldve", "would've", "wouldnt", "wouldn't", "wouldnt've", "wouldn't've", "wouldn'tve", "wouldn't've",
            "yall", "y'all", "yall'll", "y'all'll", "y'allll", "y'all'll", "yall'd've", "y'all'd've",
            "y'alld've", "y'all'd've", "y'all'dve", "y'all'd've", "youd", "you'd", "youd've", "you'd've",
            "you'dve", "you'd've", "youll", "you'll", "youre", "you're", "youve", "you've",
    };
    private static final Map<String, String> CONTRACTIONS = new HashMap<>();
    private static final Map<String, String> NUMBER_MAP = Map.ofEntries(Map.entry("none", "0"),
            Map.entry("zero", "0"), Map.entry("one", "1"), Map.entry("two", "2"), Map.entry("three", "3"),
            Map.entry("four", "4"), Map.entry("five", "5"), Map.entry("six", "6"), Map.entry("seven", "7"),
            Map.entry("eight", "8"), Map.entry("nine", "9"), Map.entry("ten", "10"));
    private static final Set<String> ARTICLES = Set.of("a", "an", "the");
    private static final Pattern PERIOD_STRIP = Pattern.compile("(?!<=\\d)(\\.)(?!\\d)");
    private static final Pattern COMMA_STRIP = Pattern.compile("(?<=\\d)(,)+(?=\\d)");
    private static final List<String> PUNCTUATIONS = List.of(";", "/", "[", "]", "\"", "{", "}", "(", ")", "=", "+",
            "\\", "_", "-", ">", "<", "@", "`", ",", "?", "!");
    /** Python's {@code re.UNICODE} (32), passed where {@code sub} takes its count. */
    private static final int PERIODS_REMOVED_AT_MOST = 32;

    static {
        for (int i = 0; i < CONTRACTION_PAIRS.length; i += 2) {
            CONTRACTIONS.put(CONTRACTION_PAIRS[i], CONTRACTION_PAIRS[i + 1]);
        }
    }

    private VqaAnswerNormalizer() {
    }

    public static String normalize(String answer) {
        String item = PythonStrings.strip(answer.toLowerCase(java.util.Locale.ROOT).replace(",", "").replace("?", "")
                .replace("'s", " 's"));
        item = PythonStrings.strip(item.replace("\n", " ").replace("\t", " "));
        return digitsAndArticles(punctuation(item));
    }

    private static String punctuation(String in) {
        String out = in;
        boolean digitComma = COMMA_STRIP.matcher(in).find();
        for (String p : PUNCTUATIONS) {
            if (in.contains(p + " ") || in.contains(" " + p) || digitComma) {
                out = out.replace(p, "");
            } else {
                out = out.replace(p, " ");
            }
        }
        Matcher m = PERIOD_STRIP.matcher(out);
        StringBuilder sb = new StringBuilder();
        int removed = 0;
        while (removed < PERIODS_REMOVED_AT_MOST && m.find()) {
            m.appendReplacement(sb, "");
            removed++;
        }
        m.appendTail(sb);
        return sb.toString();
    }

    private static String digitsAndArticles(String in) {
        List<String> out = new ArrayList<>();
        for (String word : PythonStrings.split(in.toLowerCase(java.util.Locale.ROOT))) {
            word = NUMBER_MAP.getOrDefault(word, word);
            if (!ARTICLES.contains(word)) {
                out.add(CONTRACTIONS.getOrDefault(word, word));
            }
        }
        return String.join(" ", out);
    }
}
