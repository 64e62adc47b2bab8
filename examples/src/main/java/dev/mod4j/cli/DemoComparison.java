package dev.mod4j.cli;

import dev.mod4j.api.Comparison;
import dev.mod4j.api.ImageInput;
import dev.mod4j.api.Llava;
import dev.mod4j.api.TrainedDemoModel;
import dev.mod4j.eval.AnswerGrader;
import dev.mod4j.eval.EvalQuestion;
import dev.mod4j.report.ComparisonReport;
import dev.mod4j.runtime.accounting.FlopsConvention;
import dev.mod4j.runtime.compare.ScheduleRun;
import dev.mod4j.runtime.schedule.ScheduleMethods;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The demo's acts on the trained model: one test question under every schedule, printed and written as a report,
 * then the bundled slice of the test split under the same schedules, with accuracy and agreement with dense.
 */
final class DemoComparison {
    /**
     * What the demo compares: every registered method as it shows in the demo ({@code dense,fastv,pdrop,gmod:skip=0.5,
     * pmod} and any of yours); γ-MoD and p-MoD are reported as skipped when the checkpoint has no routers for them.
     */
    static final String SCHEDULES = ScheduleMethods.allForDemo();

    private DemoComparison() {
    }

    /** The schedules each fine-tuned model is shown with: its method as released, and γ-MoD at a fixed ratio. */
    private static List<String> schedules(TrainedDemoModel which) {
        return which == TrainedDemoModel.GAMMA_MOD ? List.of("dense", "gmod", "gmod:skip=0.5")
                : List.of("dense", which.schedule());
    }

    /**
     * A fine-tuned MoD model on the first question (its table: what each layer kept) and on the slice; returns its
     * MoD schedules' rows, labelled with the model, agreement counted against the dense model's answers.
     */
    private static List<DemoAccuracy> fineTuned(PrintWriter out, TrainedDemoModel which, Path model,
                                                EvalQuestion first, Path images, List<EvalQuestion> questions,
                                                List<String> denseAnswers, int maxNewTokens) {
        List<String> specs = schedules(which);
        out.println();
        out.println(which.directory() + ": the dense model fine-tuned with " + which.schedule()
                + "'s learned routers (examples/train/train_mod.py); the first question:");
        try (Llava llava = Llava.open(model)) {
            List<String> skipped = new ArrayList<>();
            Comparison comparison = llava.request(ImageInput.of(images.resolve(first.image())), first.text())
                    .maxNewTokens(maxNewTokens).compare(llava.schedules(String.join(",", specs), skipped), skipped);
            CompareCommand.printTable(out, comparison.runs(), llava.tokenizer(), comparison.prompt(),
                    comparison.skipped(), FlopsConvention.EXACT, comparison.shape());
            for (int i = 1; i < comparison.runs().size(); i++) {
                String text = comparison.texts().get(i);
                boolean right = AnswerGrader.grade(first.groundTruth(), text).orElse(false);
                out.printf("  %-34s %-10s %s%n", CompareCommand.shorten(comparison.runs().get(i).spec(), 34), text,
                        right ? "right" : "wrong");
            }
            List<DemoAccuracy> rows = DemoAccuracy.measure(llava, questions, images, specs, maxNewTokens,
                    denseAnswers);
            List<DemoAccuracy> mod = rows.subList(1, rows.size()).stream()
                    .map(r -> r.labelled(r.schedule() + " [" + which.directory() + "]")).toList();
            out.println("the same " + questions.size() + " questions (agreement with the dense model's answers):");
            DemoAccuracy.print(out, mod);
            return mod;
        }
    }

    /**
     * Runs the comparison on the first of {@code questions}, prints the table, the answers and the slice's accuracy
     * per schedule to {@code out}, writes the report; returns the page.
     */
    static Path run(PrintWriter out, Path model, Map<TrainedDemoModel, Path> fineTunes, Path questionsFile,
                    Path reportDir, int maxNewTokens) {
        List<EvalQuestion> questions = EvalQuestion.read(questionsFile);
        Path images = questionsFile.toAbsolutePath().getParent();
        EvalQuestion first = questions.getFirst();
        try (Llava llava = Llava.open(model)) {
            ImageInput image = ImageInput.of(images.resolve(first.image()));
            out.println("question: " + first.text() + "  (image: " + first.image() + ", "
                    + llava.model().visionConfig().imageSize() + " px; expected answer: "
                    + String.join(" or ", first.groundTruth()) + ")");
            List<String> skipped = new ArrayList<>();
            // The comparison warms every schedule up before timing it (on a model this small, the first run of each
            // code path is mostly JIT compilation), then reports the median of its repeats.
            Comparison comparison = llava.request(image, first.text()).maxNewTokens(maxNewTokens)
                    .compare(llava.schedules(SCHEDULES, skipped), skipped);
            CompareCommand.printTable(out, comparison.runs(), llava.tokenizer(), comparison.prompt(),
                    comparison.skipped(), FlopsConvention.EXACT, comparison.shape());
            out.println();
            out.println("answers:");
            for (int i = 0; i < comparison.runs().size(); i++) {
                String text = comparison.texts().get(i);
                boolean right = AnswerGrader.grade(first.groundTruth(), text).orElse(false);
                out.printf("  %-34s %-10s %s%n", CompareCommand.shorten(comparison.runs().get(i).spec(), 34),
                        text, right ? "right" : "wrong");
            }
            out.println();
            List<String> specs = comparison.runs().stream().map(ScheduleRun::spec).toList();
            out.println("the first " + questions.size() + " questions of the test split under each schedule:");
            List<String> denseAnswers = new ArrayList<>();
            List<DemoAccuracy> accuracy = new ArrayList<>(
                    DemoAccuracy.measure(llava, questions, images, specs, maxNewTokens, denseAnswers));
            DemoAccuracy.print(out, accuracy);
            for (Map.Entry<TrainedDemoModel, Path> fineTune : fineTunes.entrySet()) {
                accuracy.addAll(fineTuned(out, fineTune.getKey(), fineTune.getValue(), first, images, questions,
                        denseAnswers, maxNewTokens));
            }
            String table = accuracy.stream().map(DemoAccuracy::line).collect(Collectors.joining("\n"));
            return ComparisonReport.of(comparison)
                    .title("mod4j demo: token schedules on a small LLaVA trained on a toy task")
                    .note("The model is a miniature LLaVA-1.5 trained offline on Shapes VQA, a synthetic toy task"
                            + " (coloured shapes and digits on a 4×4 grid; questions about colour, shape, digit, count"
                            + " and relative position), by examples/train in the repository. Its answers are real, on"
                            + " this toy task only.")
                    .note("The p-MoD and γ-MoD rows are the dense model fine-tuned with each method's routers"
                            + " (examples/train/train_mod.py): their accuracy is on those models; agreement is with the"
                            + " dense model's answers; multiply-adds and KV bytes relative to dense.")
                    .note("Expected answer: " + String.join(" or ", first.groundTruth()) + ".")
                    .note("The first " + questions.size() + " questions of the test split under each schedule"
                            + " (accuracy, agreement with dense, prefill multiply-adds and KV-cache bytes relative"
                            + " to dense):\n" + table)
                    .note("For a real comparison, download a checkpoint yourself (mod4j never downloads), e.g."
                            + " llava-hf/llava-1.5-7b-hf, or the released γ-MoD / p-MoD checkpoints for their routers,"
                            + " and run: bin/mod4j compare --model DIR --image PHOTO.jpg --prompt \"...\" --report DIR")
                    .write(reportDir);
        }
    }
}
