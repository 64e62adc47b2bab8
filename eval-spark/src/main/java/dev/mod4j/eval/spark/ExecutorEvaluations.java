package dev.mod4j.eval.spark;

import dev.mod4j.api.Llava;
import dev.mod4j.eval.EvalJob;
import dev.mod4j.eval.EvalQuestion;
import dev.mod4j.eval.Evaluation;
import dev.mod4j.eval.QuestionFiles;
import dev.mod4j.runtime.generate.SamplingOptions;
import dev.mod4j.runtime.cpu.Parallel;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The model each JVM (executor, or the driver in local mode) opens once per job: memory-mapped from the path the
 * job carries, kept for every partition that JVM answers. A {@link Llava} answers one request at a time, so tasks
 * sharing an executor take turns on it ({@link #answering}); its matrix kernels use the executor's cores.
 */
final class ExecutorEvaluations {
    private static final Map<EvalJob, Evaluation> OPEN = new HashMap<>();

    private ExecutorEvaluations() {
    }

    static synchronized Evaluation of(EvalJob job) {
        return OPEN.computeIfAbsent(job, ExecutorEvaluations::open);
    }

    /** Makes {@code evaluation} the one this JVM uses for {@code job} (the driver's, in local mode). */
    static synchronized void register(EvalJob job, Evaluation evaluation) {
        OPEN.putIfAbsent(job, evaluation);
    }

    /** The lock a task holds while it asks the model. */
    static Object answering(Evaluation evaluation) {
        return evaluation;
    }

    private static Evaluation open(EvalJob job) {
        if (job.threads() != null) {
            Parallel.setCommonThreads(job.threads());
        }
        Llava llava = Llava.open(Path.of(job.model()), job.visionTower() == null ? null : Path.of(job.visionTower()),
                job.loadMode(), job.weights());
        if (job.template() != null) {
            llava.template(job.template());
        }
        List<EvalQuestion> questions = QuestionFiles.read(Path.of(job.questionFile()), Path.of(job.imageFolder()),
                job.mmbench());
        return new Evaluation(llava, questions, Path.of(job.imageFolder()), job.schedules(), job.answerPaths(), job.modelId(),
                job.maxNewTokens(), new SamplingOptions(job.temperature(), 0, 1, 0));
    }
}
