package dev.mod4j.cli;

import dev.mod4j.loaders.OutputFiles;
import dev.mod4j.api.DemoAssets;
import dev.mod4j.loaders.layout.CheckpointSummary;
import dev.mod4j.loaders.layout.ModelFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code mod4j demo}: the built-in offline demo on a small random-weight LLaVA model. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the offline demo on a small random-weight LLaVA model (written on first use).")
final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    Mod4j.CommonOptions common;

    @Option(names = "--cache-dir", paramLabel = "DIR",
            description = "Where the demo model is written (default: $MOD4J_CACHE or ~/.cache/mod4j).")
    Path cacheDir;

    @Option(names = "--report-dir", paramLabel = "DIR",
            description = "Where the HTML report is written (default: demo-report/ in the cache directory).")
    Path reportDir;

    @Option(names = "--max-new-tokens", paramLabel = "N", defaultValue = "12", description = "Default: ${DEFAULT-VALUE}.")
    int maxNewTokens;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (reportDir != null) {
            OutputFiles.requireWritableDirectory(reportDir);
        }
        Path dir = DemoAssets.model(cacheDir != null ? cacheDir : DemoAssets.cacheRoot());
        out.println("mod4j demo: a small LLaVA-layout model with RANDOM, UNTRAINED weights (γ-MoD routers included),");
        out.println("written to " + dir + ". Its outputs are meaningless; it shows the machinery, offline.");
        out.println();
        try (ModelFiles files = ModelFiles.open(dir)) {
            InspectCommand.print(out, CheckpointSummary.of(files));
        }
        out.println();
        Path root = cacheDir != null ? cacheDir : DemoAssets.cacheRoot();
        Path page = DemoComparison.run(out, dir, reportDir != null ? reportDir : root.resolve("demo-report"), maxNewTokens);
        out.println();
        out.println("report: " + page.toAbsolutePath().toUri() + "  (open it in a browser; no server needed)");
        out.println("Reminder: the demo model is UNTRAINED; its answers and routing are noise.");
        out.println();
        out.println("To use a real checkpoint, download it yourself (mod4j never downloads) and point --model at it:");
        DemoAssets.realCheckpoints().forEach(h -> out.println("  " + h));
        out.println("  e.g. bin/mod4j inspect --model ~/models/llava-1.5-7b-hf");
        out.println("       bin/mod4j compare --model ~/models/llava-1.5-7b-hf --image photo.jpg \\");
        out.println("           --prompt \"What is shown in this picture?\" --report report/");
        return 0;
    }
}
