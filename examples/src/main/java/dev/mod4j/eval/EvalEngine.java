package dev.mod4j.eval;

import java.io.PrintWriter;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * Runs an {@link EvalJob} somewhere other than this process's one loop: {@code mod4j eval --engine NAME}. Engines
 * live in their own modules (mod4j-eval-spark) and are found on the class path with {@link ServiceLoader}, so the
 * core modules do not depend on them.
 */
public interface EvalEngine {
    /** The name {@code --engine} takes. */
    String name();

    /**
     * Answers every question of {@code job} under every schedule into the job's answers files (skipping the ones
     * already answered) and returns what it did.
     *
     * @param driver  the evaluation of {@code job} on this process's model (the answers files, the schedules'
     *                canonical names; an engine running in this process may answer with it)
     * @param options the engine's own settings ({@code --engine-option KEY=VALUE}), e.g. {@code master=local[4]}
     */
    Evaluation.RunSummary run(EvalJob job, Evaluation driver, Map<String, String> options, PrintWriter out,
                              PrintWriter err);

    /** The engine called {@code name} on the class path, or null. */
    static EvalEngine find(String name) {
        for (EvalEngine e : ServiceLoader.load(EvalEngine.class)) {
            if (e.name().equals(name)) {
                return e;
            }
        }
        return null;
    }
}
