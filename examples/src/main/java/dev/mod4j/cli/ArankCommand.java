package dev.mod4j.cli;

import dev.mod4j.loaders.FileLimit;
import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.SmallFiles;
import dev.mod4j.loaders.progress.ProgressListener;
import dev.mod4j.loaders.progress.ProgressTask;
import dev.mod4j.runtime.accounting.GammaModLayerMode;
import dev.mod4j.runtime.arank.AttentionRank;
import dev.mod4j.runtime.llava.MultimodalModel;
import dev.mod4j.runtime.llava.PreprocessedImage;
import dev.mod4j.runtime.prompt.PromptRows;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/**
 * {@code mod4j arank}: γ-MoD's layer-selection metric (docs/methods.md §3.2) — the head-averaged rank of each layer's
 * attention map — and the MoD layer set it suggests, as a gmod schedule spec.
 */
@Command(name = "arank", mixinStandardHelpOptions = true,
        description = "Compute each layer's attention rank (γ-MoD's ARank) and propose the MoD layers.")
final class ArankCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    Mod4j.CommonOptions common;

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--mod-fraction", paramLabel = "F", defaultValue = "0.875",
            description = "Fraction of layers to make MoD, those with the lowest ARank (0.875 = 28 of 32, as released)."
                    + " Default: ${DEFAULT-VALUE}.")
    double modFraction;

    @Option(names = "--spec-out", paramLabel = "FILE", description = "Write the proposed gmod schedule spec here.")
    Path specOut;

    @Option(names = "--samples", paramLabel = "FILE.jsonl",
            description = "Average ARank over samples, one JSON object per line: {\"image\": \"a.png\", \"prompt\": \"...\"}"
                    + " (prompt through the template) or {\"input_ids\": [...], \"pixel_values\": \"a.npy\"}; paths"
                    + " relative to the file. Instead of --prompt/--input-ids/--image.")
    Path samples;

    private PromptRows singlePrompt(MultimodalModel model) {
        List<PreprocessedImage> images = modelOptions.images(model);
        return model.promptWithImages(modelOptions.inputIds(model, images.size()), images);
    }

    private List<PromptRows> samplePrompts(MultimodalModel model) {
        List<PromptRows> out = new java.util.ArrayList<>();
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        Path base = samples.toAbsolutePath().getParent();
        List<String> lines;
        lines = SmallFiles.readText(samples, FileLimit.JSON_LINES).lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                continue;
            }
            String where = samples + ":" + (i + 1);
            com.fasterxml.jackson.databind.JsonNode line;
            try {
                line = json.readTree(lines.get(i));
            } catch (IOException e) {
                throw new InvalidInputException(where, "not valid JSON");
            }
            List<PreprocessedImage> images = new java.util.ArrayList<>();
            if (line.hasNonNull("image")) {
                images.add(model.preprocessImage(dev.mod4j.loaders.image.ImageDecoder.decode(base.resolve(line.get("image").asText()))));
            }
            if (line.hasNonNull("pixel_values")) {
                images.add(PreprocessedImage.single(ModelOptions.pixelValues(base.resolve(line.get("pixel_values").asText()), model)));
            }
            int[] ids;
            if (line.has("input_ids") && line.get("input_ids").isArray()) {
                ids = new int[line.get("input_ids").size()];
                for (int k = 0; k < ids.length; k++) {
                    ids[k] = line.get("input_ids").get(k).asInt();
                }
            } else if (line.hasNonNull("prompt")) {
                modelOptions.prompt = line.get("prompt").asText();
                modelOptions.inputIds = null;
                ids = modelOptions.inputIds(model, images.size());
            } else {
                throw new InvalidInputException(where, "needs \"prompt\" or \"input_ids\"");
            }
            out.add(model.promptWithImages(ids, images));
        }
        if (out.isEmpty()) {
            throw new InvalidInputException(samples.toString(), "has no samples");
        }
        return out;
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (!(modFraction >= 0 && modFraction <= 1)) {
            throw new InvalidInputException("--mod-fraction", "must be in [0, 1], got " + modFraction);
        }
        try (MultimodalModel model = modelOptions.open()) {
            List<PromptRows> prompts = samples != null ? samplePrompts(model) : List.of(singlePrompt(model));
            int layers = model.decoder().config().numHiddenLayers();
            double[] arank = new double[layers];
            try (ProgressTask progress = ProgressListener.current().start("arank (samples)", prompts.size())) {
                for (PromptRows prompt : prompts) {
                    double[] one = AttentionRank.of(model.decoder(), prompt);
                    for (int l = 0; l < layers; l++) {
                        arank[l] += one[l] / prompts.size();
                    }
                    progress.advance(1);
                }
            }
            int shortest = prompts.stream().mapToInt(PromptRows::length).min().orElse(0);
            out.printf("ARank of %d layers, mean over %d sample(s) of %d+ tokens (head-mean numerical rank of the"
                    + " attention map; at most length - 1)%n", layers, prompts.size(), shortest);
            out.printf("%5s %9s  %s%n", "layer", "ARank", "");
            double max = Arrays.stream(arank).max().orElse(1);
            for (int l = 0; l < layers; l++) {
                int bar = (int) Math.round(40 * arank[l] / Math.max(max, 1e-9));
                out.printf("%5d %9.2f  %s%n", l, arank[l], "#".repeat(bar));
            }
            int[] lowest = AttentionRank.lowestLayers(arank, modFraction);
            int modCount = lowest.length;
            String proposed = "gmod:layers=" + Arrays.stream(lowest).mapToObj(Integer::toString)
                    .collect(Collectors.joining(","));
            String released = "gmod:layers=" + Arrays.stream(GammaModLayerMode.ARANK_MOD.modLayers(layers))
                    .mapToObj(Integer::toString).collect(Collectors.joining(","));
            out.println("proposed (the " + modCount + " lowest-ARank layers): " + proposed);
            out.println("released rule arank_mod (all but 0, 1, 2 and L-1):  " + released);
            if (specOut != null) {
                try {
                    Files.writeString(specOut, proposed + System.lineSeparator());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
        return 0;
    }
}
