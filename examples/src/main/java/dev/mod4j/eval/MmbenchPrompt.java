package dev.mod4j.eval;

import dev.mod4j.loaders.InvalidInputException;

import java.io.Serializable;

/**
 * How LLaVA's {@code llava/eval/model_vqa_mmbench.py} asks an MMBench question ({@code --all-rounds},
 * {@code --single-pred-prompt}, {@code --lang}); used when the question file is MMBench's TSV.
 *
 * @param allRounds        ask each question once per option, the options rotated by one each round
 * @param singlePredPrompt end the question with the instruction to answer with the option's letter
 * @param lang             {@code en} or {@code cn}: the language of that instruction
 */
public record MmbenchPrompt(boolean allRounds, boolean singlePredPrompt, String lang) implements Serializable {
    /** LLaVA's defaults: one round, no instruction, English. */
    public static final MmbenchPrompt DEFAULT = new MmbenchPrompt(false, false, "en");

    public MmbenchPrompt {
        if (!lang.equals("en") && !lang.equals("cn")) {
            throw new InvalidInputException("--lang", "expected en or cn, got '" + lang + "'");
        }
    }

    /** The instruction model_vqa_mmbench.py appends with {@code --single-pred-prompt}. */
    String instruction() {
        return lang.equals("cn") ? "请直接回答选项字母。" : "Answer with the option's letter from the given choices directly.";
    }
}
