package dev.mod4j.cli;

import dev.mod4j.api.Comparison;
import dev.mod4j.api.ImageInput;
import dev.mod4j.api.Llava;
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

    /**
     * Runs the comparison on the first of {@code questions}, prints the table, the answers and the slice's accuracy
     * per schedule to {@code out}, writes the report; returns the page.
     */
    static Path run(PrintWriter out, Path model, Path questionsFile, Path reportDir, int maxNewTokens) {
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
            List<DemoAccuracy> accuracy = DemoAccuracy.measure(llava, questions, images, specs, maxNewTokens);
            DemoAccuracy.print(out, accuracy);
            String table = accuracy.stream().map(DemoAccuracy::line).collect(Collectors.joining("\n"));
            return ComparisonReport.of(comparison)
                    .title("mod4j demo: token schedules on a small LLaVA trained on a toy task")
                    .note("The model is a miniature LLaVA-1.5 trained offline on Shapes VQA, a synthetic toy task"
                            + " (coloured shapes and digits on a 4×4 grid; questions about colour, shape, digit, count"
                            + " and relative position), by examples/train in the repository. Its answers are real, on"
                            + " this toy task only.")
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
