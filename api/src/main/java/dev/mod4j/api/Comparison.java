package dev.mod4j.api;

import dev.mod4j.runtime.accounting.ModelShape;
import dev.mod4j.runtime.compare.ScheduleRun;
import dev.mod4j.runtime.prompt.PromptRows;

import java.util.List;

/**
 * One request run under several schedules (the first is the reference for agreement and cost ratios): what
 * {@link Request#compare} returns and what the examples' {@code ComparisonReport} draws.
 *
 * @param model    the model's name (its directory)
 * @param question the user's prompt as text (or the input ids, when given as ids)
 * @param picture  the image as the tower saw it, or null for a text-only prompt
 * @param prompt   the decoder's prompt rows (roles tell which positions are image patches)
 * @param shape    the decoder's dimensions (for FLOPs under the papers' conventions)
 * @param runs     one per schedule, in the order given
 * @param texts    each run's output as text (or ids when the model has no tokenizer), same order as runs
 * @param skipped  schedules that were left out, with the reason
 */
public record Comparison(String model, String question, RgbImage picture, PromptRows prompt, ModelShape shape,
                         List<ScheduleRun> runs, List<String> texts, List<String> skipped) {

    public Comparison {
        if (runs.isEmpty() || runs.size() != texts.size()) {
            throw new IllegalArgumentException("need at least one run and one text per run, got " + runs.size()
                    + " runs and " + texts.size() + " texts");
        }
        runs = List.copyOf(runs);
        texts = List.copyOf(texts);
        skipped = List.copyOf(skipped);
    }

    /** The reference run (the first). */
    public ScheduleRun reference() {
        return runs.getFirst();
    }
}
