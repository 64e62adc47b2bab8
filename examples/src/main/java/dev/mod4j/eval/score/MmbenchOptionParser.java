package dev.mod4j.eval.score;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The option an MMBench answer names, as VLMEvalKit's {@code can_infer} (open-compass/VLMEvalKit@e8e78f0,
 * vlmeval/utils/matching_util.py) finds it without an LLM judge ("exact matching"): first a lone option letter among
 * the last five words (punctuation {@code .()[],:;!*#{}} turned into spaces), a refusal or lone "Z" as Z, or
 * "answer is X"; then, failing that, the one option whose text the (short enough) answer contains.
 */
public final class MmbenchOptionParser {
    private static final String PUNCTUATION = ".()[],:;!*#{}";
    private static final Pattern VERBOSE_ANSWER = Pattern.compile("(?i)(?:correct\\s+)?answer\\s+is\\s+\\**([ABCD])\\**");
    private static final List<String> REFUSALS = List.of("Sorry, I can't help with images of people yet.",
            "I can't process this file.", "I'm sorry, but without the image provided", "Cannot determine the answer");

    private MmbenchOptionParser() {
    }

    /** The option letter, "Z" (no option), or null when none can be inferred. */
    public static String infer(String answer, Map<String, String> choices) {
        String option = inferOption(answer, choices);
        return option != null ? option : inferText(answer, choices);
    }

    static String inferOption(String answer, Map<String, String> choices) {
        if (answer.contains("Failed to obtain answer via API")) {
            return null;
        }
        for (String refusal : REFUSALS) {
            if (answer.contains(refusal)) {
                return "Z";
            }
        }
        String mod = answer;
        for (char c : PUNCTUATION.toCharArray()) {
            mod = mod.replace(c, ' ');
        }
        List<String> splits = new ArrayList<>();
        for (String s : PythonStrings.split(mod)) {
            splits.add(PythonStrings.strip(s));
        }
        int count = 0;
        for (String c : choices.keySet()) {
            count += splits.contains(c) ? 1 : 0;
        }
        if (count == 1) {
            for (String ch : choices.keySet()) {
                if (splits.contains(ch) && splits.indexOf(ch) > splits.size() - 5) {
                    return ch;
                }
            }
        } else if (count == 0 && splits.contains("Z")) {
            return "Z";
        }
        Matcher m = VERBOSE_ANSWER.matcher(answer);
        if (m.find() && choices.containsKey(m.group(1).toUpperCase(Locale.ROOT))) {
            return m.group(1).toUpperCase(Locale.ROOT);
        }
        return null;
    }

    static String inferText(String answer, Map<String, String> choices) {
        String lower = answer.toLowerCase(Locale.ROOT);
        int optionsLength = 0;
        for (String v : choices.values()) {
            optionsLength += v.length();
        }
        if (lower.length() > 2 * optionsLength) {
            return null;
        }
        Map<String, String> lowered = new LinkedHashMap<>();
        choices.forEach((k, v) -> lowered.put(k, v.toLowerCase(Locale.ROOT)));
        String found = null;
        int candidates = 0;
        for (Map.Entry<String, String> e : lowered.entrySet()) {
            if (lower.contains(e.getValue())) {
                candidates++;
                found = e.getKey();
            }
        }
        return candidates == 1 ? found : null;
    }
}
