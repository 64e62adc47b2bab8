package dev.mod4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mod4j.loaders.OutputFiles;
import dev.mod4j.api.DemoAssets;
import dev.mod4j.api.TrainedDemoModel;
import dev.mod4j.loaders.layout.CheckpointSummary;
import dev.mod4j.loaders.layout.ModelFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code mod4j demo}: the built-in offline demo on a small LLaVA trained on a toy task (shipped in the jar). */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the offline demo on a small LLaVA trained on a toy visual question-answering task"
                + " (Shapes VQA; shipped with mod4j, copied to the cache on first use).")
final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    Mod4j.CommonOptions common;

    @Option(names = "--cache-dir", paramLabel = "DIR",
            description = "Where the demo model is copied (default: $MOD4J_CACHE or ~/.cache/mod4j).")
    Path cacheDir;

    @Option(names = "--report-dir", paramLabel = "DIR",
            description = "Where the HTML report is written (default: demo-report/ in the cache directory).")
    Path reportDir;

    @Option(names = "--max-new-tokens", paramLabel = "N", defaultValue = "4", description = "Default: ${DEFAULT-VALUE}.")
    int maxNewTokens;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (reportDir != null) {
            OutputFiles.requireWritableDirectory(reportDir);
        }
        Path root = cacheDir != null ? cacheDir : DemoAssets.cacheRoot();
        Path dir = DemoAssets.trainedModel(root);
        out.println("mod4j demo: a miniature LLaVA-1.5 TRAINED on Shapes VQA, a toy task (coloured shapes and digits on a");
        out.println("4×4 grid; questions about colour, shape, digit, count and relative position). " + training(dir));
        if (testAccuracy(dir) < UNDERTRAINED_ACCURACY) {
            out.println("This checkpoint is UNDER-TRAINED: it has not learnt to read the image yet, so its answers are"
                    + " mostly the answer prior (see examples/train/README.md to train it further).");
        }
        out.println("Copied to " + dir + ".");
        out.println();
        try (ModelFiles files = ModelFiles.open(dir)) {
            InspectCommand.print(out, CheckpointSummary.of(files));
        }
        out.println();
        Map<TrainedDemoModel, Path> fineTunes = new EnumMap<>(TrainedDemoModel.class);
        fineTunes.put(TrainedDemoModel.P_MOD, DemoAssets.trainedModel(root, TrainedDemoModel.P_MOD));
        fineTunes.put(TrainedDemoModel.GAMMA_MOD, DemoAssets.trainedModel(root, TrainedDemoModel.GAMMA_MOD));
        Path page = DemoComparison.run(out, dir, fineTunes, DemoAssets.trainedModelQuestions(dir),
                reportDir != null ? reportDir : root.resolve("demo-report"), maxNewTokens);
        out.println();
        out.println("report: " + page.toAbsolutePath().toUri() + "  (open it in a browser; no server needed)");
        out.println("The task is a toy: these numbers say how the schedules behave on it, not on real images.");
        out.println();
        out.println("To use a real checkpoint, download it yourself (mod4j never downloads) and point --model at it:");
        DemoAssets.realCheckpoints().forEach(h -> out.println("  " + h));
        out.println("  e.g. bin/mod4j inspect --model ~/models/llava-1.5-7b-hf");
        out.println("       bin/mod4j compare --model ~/models/llava-1.5-7b-hf --image photo.jpg \\");
        out.println("           --prompt \"What is shown in this picture?\" --report report/");
        return 0;
    }

    /** Below this test accuracy the model answers from the question alone (the answer prior is about 30%). */
    static final double UNDERTRAINED_ACCURACY = 0.5;

    static double testAccuracy(Path model) {
        try {
            return new ObjectMapper().readTree(model.resolve("training.json").toFile()).path("pytorch_test_accuracy")
                    .path("accuracy").asDouble();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + model.resolve("training.json"), e);
        }
    }

    /** One sentence from the model's training.json: how it was trained and its test accuracy in PyTorch. */
    static String training(Path model) {
        try {
            JsonNode t = new ObjectMapper().readTree(model.resolve("training.json").toFile());
            // a run continued from another (--init-from) carries that run's training.json in continued_from, and
            // the first one the vision tower's pretraining: the sentence sums every stage
            List<String> steps = new ArrayList<>();
            long seconds = 0;
            for (JsonNode stage = t; stage.isObject(); stage = stage.path("continued_from")) {
                steps.addFirst(String.valueOf(stage.path("steps_done").asInt()));
                seconds += stage.path("train_seconds").asLong();
                if (!stage.path("continued_from").isObject()) { // the first stage: its tower was pretrained
                    seconds += stage.path("vision_pretraining").path("train_seconds").asLong();
                }
            }
            return String.format(Locale.ROOT, "Trained offline by %s (%s steps, %d s on a CPU in all);"
                            + " PyTorch's test accuracy %.1f%% on %d questions.", t.path("script").asText(),
                    String.join(" + ", steps), seconds,
                    100 * t.path("pytorch_test_accuracy").path("accuracy").asDouble(),
                    t.path("pytorch_test_accuracy").path("test_questions").asInt());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + model.resolve("training.json"), e);
        }
    }
}
