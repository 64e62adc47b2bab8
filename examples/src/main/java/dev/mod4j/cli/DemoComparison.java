package dev.mod4j.cli;

import dev.mod4j.api.Comparison;
import dev.mod4j.api.Llava;
import dev.mod4j.report.ComparisonReport;
import dev.mod4j.runtime.schedule.TokenSchedule;

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
     * What the demo compares. γ-MoD with a fixed skip ratio: the released threshold rule keeps every token with an
     * untrained router, which would show nothing. p-MoD runs when the demo model has its routers.
     */
    static final String SCHEDULES = "dense,fastv,pdrop,gmod:skip=0.5,pmod";

    private DemoComparison() {
    }

    /** Runs the comparison on {@code model}, prints the table to {@code out}, writes the report; returns the page. */
    static Path run(PrintWriter out, Path model, Path reportDir, int maxNewTokens) {
        try (Llava llava = Llava.open(model)) {
            out.println("question: " + DemoAssets.QUESTION + "  (image: the bundled demo-image.png, squashed to "
                    + llava.model().visionConfig().imageSize() + " px)");
            List<String> skipped = new ArrayList<>();
            List<TokenSchedule> schedules = llava.schedules(SCHEDULES, skipped);
            // An untimed round first: on a model this small, the first run of each code path is mostly JIT compilation.
            llava.compare(DemoAssets.image(), DemoAssets.QUESTION, schedules, skipped, 2);
            Comparison comparison = llava.compare(DemoAssets.image(), DemoAssets.QUESTION,
                    llava.schedules(SCHEDULES, new ArrayList<>()), skipped, maxNewTokens);
            CompareCommand.printTable(out, comparison.runs(), llava.tokenizer(), comparison.prompt(),
                    comparison.skipped());
            return ComparisonReport.of(comparison)
                    .title("mod4j demo: token schedules on an untrained model")
                    .note(UNTRAINED)
                    .note("For a real comparison, download a checkpoint yourself (mod4j never downloads), e.g."
                            + " llava-hf/llava-1.5-7b-hf, or the released γ-MoD / p-MoD checkpoints for their routers,"
                            + " and run: bin/mod4j compare --model DIR --pixel-values IMAGE.npy --prompt \"...\" --report DIR")
                    .write(reportDir);
        }
    }
}
