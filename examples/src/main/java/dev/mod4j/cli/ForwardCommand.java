package dev.mod4j.cli;

import dev.mod4j.loaders.OutputFiles;
import dev.mod4j.loaders.npy.NpyArray;
import dev.mod4j.runtime.llava.MultimodalModel;
import dev.mod4j.runtime.llava.PreprocessedImage;
import dev.mod4j.runtime.prompt.PromptRows;
import dev.mod4j.runtime.model.Session;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code mod4j forward}: one forward pass over a prompt, writing logits (and stage outputs) as .npy for parity checks. */
@Command(name = "forward", mixinStandardHelpOptions = true,
        description = "Run one forward pass and write the logits of every position as .npy.")
final class ForwardCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    Mod4j.CommonOptions common;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    ScheduleOptions scheduleOptions;

    @Option(names = "--logits-out", paramLabel = "FILE.npy", description = "float32 [positions, vocab].")
    Path logitsOut;

    @Option(names = "--dump-dir", paramLabel = "DIR",
            description = "Write pixel_values.npy, vision_features.npy, projector_output.npy and logits.npy here.")
    Path dumpDir;

    @Override
    public Integer call() {
        if (logitsOut == null && dumpDir == null) {
            throw new dev.mod4j.loaders.InvalidInputException("--logits-out", "give --logits-out FILE.npy and/or --dump-dir DIR");
        }
        if (logitsOut != null) {
            OutputFiles.requireWritableFile(logitsOut);
        }
        if (dumpDir != null) {
            OutputFiles.requireWritableDirectory(dumpDir);
        }
        try (MultimodalModel model = modelOptions.open()) {
            List<PreprocessedImage> images = modelOptions.images(model);
            int[] ids = modelOptions.inputIds(model, images.size());
            PromptRows prompt = model.promptWithImages(ids, images);
            int vocab = model.decoder().config().vocabSize();
            float[] logits = new float[Math.multiplyExact(prompt.length(), vocab)];
            Session session = model.decoder().newSession(prompt.length());
            scheduleOptions.apply(session, model);
            session.prefill(prompt, logits);
            // Rows a schedule dropped have no logits: the array holds the rows still in the stream at the end.
            int logitRows = session.lastPrefillSequenceIndices().length;
            NpyArray logitsArray = new NpyArray(new long[]{logitRows, vocab},
                    java.util.Arrays.copyOf(logits, logitRows * vocab));
            scheduleOptions.writeTrace(session);
            if (logitsOut != null) {
                logitsArray.write(logitsOut);
            }
            if (dumpDir != null) {
                Files.createDirectories(dumpDir);
                logitsArray.write(dumpDir.resolve("logits.npy"));
                if (!images.isEmpty()) {
                    float[] pixels = images.getFirst().crop(0); // an anyres image: its base view
                    int size = model.visionConfig().imageSize();
                    new NpyArray(new long[]{1, 3, size, size}, pixels).write(dumpDir.resolve("pixel_values.npy"));
                    float[] features = model.visionFeatures(pixels, null);
                    int rows = model.rowsPerImage();
                    new NpyArray(new long[]{rows, features.length / rows}, features)
                            .write(dumpDir.resolve("vision_features.npy"));
                    float[] projected = model.project(features, rows);
                    new NpyArray(new long[]{rows, projected.length / rows}, projected)
                            .write(dumpDir.resolve("projector_output.npy"));
                }
            }
            // On stdout, what the command made: stderr stays empty on success.
            spec.commandLine().getOut().printf("forward: %d positions -> %s%n", prompt.length(),
                    logitsOut != null ? logitsOut : dumpDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return 0;
    }
}
