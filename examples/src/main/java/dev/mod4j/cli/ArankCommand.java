package dev.mod4j.cli;

import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.runtime.accounting.GammaModLayerMode;
import dev.mod4j.runtime.arank.AttentionRank;
import dev.mod4j.runtime.llava.MultimodalModel;
import dev.mod4j.runtime.model.PromptRows;
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
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * {@code mod4j arank}: γ-MoD's layer-selection metric (methods.md §3.2) — the head-averaged rank of each layer's
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

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (!(modFraction >= 0 && modFraction <= 1)) {
            throw new InvalidInputException("--mod-fraction", "must be in [0, 1], got " + modFraction);
        }
        try (MultimodalModel model = modelOptions.open()) {
            List<float[]> images = modelOptions.images(model);
            PromptRows prompt = model.prompt(modelOptions.inputIds(model, images.size()), images);
            double[] arank = AttentionRank.of(model.decoder(), prompt);
            int layers = arank.length;
            out.printf("ARank of %d layers on a %d-token prompt (head-mean numerical rank of the attention map, max %d)%n",
                    layers, prompt.length(), prompt.length() - 1);
            out.printf("%5s %9s  %s%n", "layer", "ARank", "");
            double max = Arrays.stream(arank).max().orElse(1);
            for (int l = 0; l < layers; l++) {
                int bar = (int) Math.round(40 * arank[l] / Math.max(max, 1e-9));
                out.printf("%5d %9.2f  %s%n", l, arank[l], "#".repeat(bar));
            }
            int modCount = (int) Math.round(modFraction * layers);
            int[] lowest = IntStream.range(0, layers).boxed().sorted(Comparator.comparingDouble(l -> arank[l]))
                    .limit(modCount).mapToInt(Integer::intValue).sorted().toArray();
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
