package dev.mod4j.cli;

import dev.mod4j.api.Comparison;
import dev.mod4j.api.DemoAssets;
import dev.mod4j.api.Llava;
import dev.mod4j.report.ComparisonReport;
import dev.mod4j.runtime.accounting.FlopsConvention;
import dev.mod4j.runtime.compare.ScheduleRun;
import dev.mod4j.runtime.schedule.ScheduleMethods;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The demo's main act: the bundled image and question under every schedule, printed and written as a report. */
final class DemoComparison {
    static final String UNTRAINED = "The demo model has random, untrained weights: its answers are noise, and what its"
            + " routers and attention keep says nothing about the methods' quality. It shows the machinery (which"
            + " tokens each layer processes, what that costs) offline, on a model small enough for any machine.";

    /**
     * What the demo compares: every registered method as it shows on an untrained model
     * ({@code dense,fastv,pdrop,gmod:skip=0.5,pmod} and any of yours). p-MoD runs when the demo model has its routers.
     */
    static final String SCHEDULES = ScheduleMethods.allForDemo();

    private DemoComparison() {
    }

    /**
     * Adds p-MoD, run on the demo model's p-MoD twin ({@link PModDemoModel}: the same weights, p-MoD's routers instead
     * of γ-MoD's, which cannot share one checkpoint), to a comparison that had to skip it.
     */
    static Comparison withPModTwin(Comparison comparison, Path model, int maxNewTokens) {
        Path twin = PModDemoModel.ensure(model);
        try (Llava pmod = Llava.open(twin)) {
            Comparison run = pmod.request(DemoAssets.image(), DemoAssets.QUESTION).maxNewTokens(maxNewTokens)
                    .compare(List.of(pmod.schedule("pmod")));
            List<ScheduleRun> runs = new ArrayList<>(comparison.runs());
            runs.add(run.reference());
            List<String> texts = new ArrayList<>(comparison.texts());
            texts.add(run.texts().getFirst());
            List<String> skipped = comparison.skipped().stream().filter(s -> !s.startsWith("pmod")).toList();
            return new Comparison(comparison.model(), comparison.question(), comparison.picture(), comparison.prompt(),
                    comparison.shape(), runs, texts, skipped);
        }
    }

    /** Runs the comparison on {@code model}, prints the table to {@code out}, writes the report; returns the page. */
    static Path run(PrintWriter out, Path model, Path reportDir, int maxNewTokens) {
        try (Llava llava = Llava.open(model)) {
            out.println("question: " + DemoAssets.QUESTION + "  (image: the bundled demo-image.png, preprocessed to "
                    + llava.model().visionConfig().imageSize() + " px)");
            List<String> skipped = new ArrayList<>();
            // The comparison warms every schedule up before timing it (on a model this small, the first run of each
            // code path is mostly JIT compilation), then reports the median of its repeats.
            Comparison comparison = llava.request(DemoAssets.image(), DemoAssets.QUESTION).maxNewTokens(maxNewTokens)
                    .compare(llava.schedules(SCHEDULES, skipped), skipped);
            String twinNote = null;
            if (skipped.stream().anyMatch(s -> s.startsWith("pmod"))) {
                comparison = withPModTwin(comparison, model, maxNewTokens);
                twinNote = "pmod ran on " + model.getFileName() + "-pmod, the same weights with p-MoD's routers in"
                        + " place of γ-MoD's (one checkpoint cannot hold both).";
            }
            CompareCommand.printTable(out, comparison.runs(), llava.tokenizer(), comparison.prompt(),
                    comparison.skipped(), FlopsConvention.EXACT, comparison.shape());
            if (twinNote != null) {
                out.println(twinNote);
            }
            ComparisonReport report = ComparisonReport.of(comparison)
                    .title("mod4j demo: token schedules on an untrained model")
                    .note(UNTRAINED);
            if (twinNote != null) {
                report.note(twinNote);
            }
            return report
                    .note("For a real comparison, download a checkpoint yourself (mod4j never downloads), e.g."
                            + " llava-hf/llava-1.5-7b-hf, or the released γ-MoD / p-MoD checkpoints for their routers,"
                            + " and run: bin/mod4j compare --model DIR --image PHOTO.jpg --prompt \"...\" --report DIR")
                    .write(reportDir);
        }
    }
}
