package dev.mod4j.eval;

import dev.mod4j.loaders.safetensors.LoadMode;

import java.io.Serializable;
import java.nio.file.Path;

/**
 * Everything an evaluation needs, as plain values, so an engine can ship it to other machines (a Spark job sends it
 * to every executor: paths, never weights).
 *
 * @param imageFolder  where the questions' images are
 * @param answersFolder where the answers files (and the results table) go
 * @param answersFile  LLaVA's {@code --answers-file}, or null for one file per schedule in {@code answersFolder}
 * @param benchmark    a scorer's name, or null to grade by the questions' inline ground truth
 * @param annotations  the benchmark's annotation file or folder, or null
 * @param threads      CPU threads per model, or null for all processors
 */
public record EvalJob(Path model, Path visionTower, LoadMode loadMode, Integer threads, String template,
                      Path questionFile, Path imageFolder, String schedules, Path answersFolder, Path answersFile,
                      String modelId, int maxNewTokens, double temperature, String benchmark, Path annotations)
        implements Serializable {

    public Evaluation.AnswerPaths answerPaths() {
        return answersFile != null ? Evaluation.AnswerPaths.asFile(answersFile)
                : Evaluation.AnswerPaths.inFolder(answersFolder);
    }
}
