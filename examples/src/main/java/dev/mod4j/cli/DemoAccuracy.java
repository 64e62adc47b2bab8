package dev.mod4j.cli;

import dev.mod4j.api.Answer;
import dev.mod4j.api.ImageInput;
import dev.mod4j.api.Llava;
import dev.mod4j.eval.AnswerGrader;
import dev.mod4j.eval.EvalQuestion;
import dev.mod4j.runtime.prompt.PromptRows;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The demo's second act: a slice of the test split answered under each schedule, with accuracy against the ground
 * truth, agreement with the first schedule (dense), and what each schedule spent, relative to dense.
 *
 * @param schedule     the schedule's spec
 * @param correct      answers matching the ground truth
 * @param agreeing     answers equal to the reference schedule's
 * @param questions    questions asked
 * @param prefillRatio prefill multiply-adds over the reference's, summed over the questions
 * @param kvRatio      KV-cache bytes over the reference's, summed over the questions
 */
record DemoAccuracy(String schedule, int correct, int agreeing, int questions, double prefillRatio, double kvRatio) {

    /** Every question under every schedule (the first is the reference); the image is encoded once per question. */
    static List<DemoAccuracy> measure(Llava llava, List<EvalQuestion> questions, Path imageFolder,
                                      List<String> schedules, int maxNewTokens) {
        return measure(llava, questions, imageFolder, schedules, maxNewTokens, new ArrayList<>());
    }

    /**
     * As {@link #measure(Llava, List, Path, List, int)}, with the reference answers in {@code reference}: if it is
     * empty, the first schedule's answers are added to it (the dense model's, to compare its fine-tunes with); if
     * not, agreement is with those answers (another model's), one per question.
     */
    static List<DemoAccuracy> measure(Llava llava, List<EvalQuestion> questions, Path imageFolder,
                                      List<String> schedules, int maxNewTokens, List<String> reference) {
        boolean given = !reference.isEmpty();
        int n = schedules.size();
        int[] correct = new int[n];
        int[] agreeing = new int[n];
        long[] macs = new long[n];
        long[] kv = new long[n];
        for (int i = 0; i < questions.size(); i++) {
            EvalQuestion q = questions.get(i);
            PromptRows prompt = llava.prompt(ImageInput.of(imageFolder.resolve(q.image())), q.text());
            for (int s = 0; s < n; s++) {
                Answer a = llava.request(prompt, q.text()).schedule(schedules.get(s)).maxNewTokens(maxNewTokens).ask();
                if (s == 0 && !given) {
                    reference.add(a.text());
                }
                correct[s] += AnswerGrader.grade(q.groundTruth(), a.text()).orElse(false) ? 1 : 0;
                agreeing[s] += a.text().equals(reference.get(i)) ? 1 : 0;
                macs[s] += a.prefillMacs();
                kv[s] += a.kvCacheBytes();
            }
        }
        List<DemoAccuracy> rows = new ArrayList<>();
        for (int s = 0; s < n; s++) {
            rows.add(new DemoAccuracy(schedules.get(s), correct[s], agreeing[s], questions.size(),
                    (double) macs[s] / macs[0], (double) kv[s] / kv[0]));
        }
        return rows;
    }

    /** The same numbers under another label (a fine-tuned model's schedule, named with its model). */
    DemoAccuracy labelled(String label) {
        return new DemoAccuracy(label, correct, agreeing, questions, prefillRatio, kvRatio);
    }

    double accuracy() {
        return (double) correct / questions;
    }

    static void print(PrintWriter out, List<DemoAccuracy> rows) {
        out.printf("%-34s %9s %16s %14s %9s%n", "schedule", "accuracy", "agrees w/ dense", "prefill MACs", "KV bytes");
        for (DemoAccuracy r : rows) {
            out.println(r.line());
        }
    }

    String line() {
        return String.format(Locale.ROOT, "%-34s %8.1f%% %10d of %-3d %13.2f× %8.2f×", CompareCommand.shorten(schedule,
                34), 100 * accuracy(), agreeing, questions, prefillRatio, kvRatio);
    }
}
