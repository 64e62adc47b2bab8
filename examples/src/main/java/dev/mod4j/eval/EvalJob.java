package dev.mod4j.eval;

import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.loaders.safetensors.LoadMode;

import java.io.Serializable;
import java.nio.file.Path;

/**
 * Everything an evaluation needs, as plain values, so an engine can ship it to other machines (a Spark job
 * broadcasts it to every executor: paths as text, never weights). Paths must mean the same file on every machine
 * (a shared or replicated file system).
 *
 * @param imageFolder   where the questions' images are
 * @param answersFolder where the answers files (and the results table) go
 * @param answersFile   LLaVA's {@code --answers-file}, or null for one file per schedule in {@code answersFolder}
 * @param visionTower   null for the model's own
 * @param weights       the dtype the decoder is quantized to at load ({@code --weights q8_0}), or null for none
 * @param template      null for the checkpoint's default
 * @param threads       CPU threads per model, or null for all processors
 * @param mmbench       how an MMBench TSV question file is asked
 */
public record EvalJob(String model, String visionTower, LoadMode loadMode, DType weights, Integer threads,
                      String template,
                      String questionFile, String imageFolder, String schedules, String answersFolder,
                      String answersFile, String modelId, int maxNewTokens, double temperature,
                      MmbenchPrompt mmbench)
        implements Serializable {

    public Evaluation.AnswerPaths answerPaths() {
        return answersFile != null ? Evaluation.AnswerPaths.asFile(Path.of(answersFile))
                : Evaluation.AnswerPaths.inFolder(Path.of(answersFolder));
    }

    static String text(Path p) {
        return p == null ? null : p.toAbsolutePath().toString();
    }

    /** The job of these paths (made absolute). */
    public static EvalJob of(Path model, Path visionTower, LoadMode loadMode, DType weights, Integer threads,
                             String template, Path questionFile, Path imageFolder, String schedules, Path answersFolder,
                             Path answersFile, String modelId, int maxNewTokens, double temperature,
                             MmbenchPrompt mmbench) {
        return new EvalJob(text(model), text(visionTower), loadMode, weights, threads, template, text(questionFile),
                text(imageFolder), schedules, text(answersFolder), text(answersFile), modelId, maxNewTokens,
                temperature, mmbench);
    }
}
