package dev.mod4j.cli;

import dev.mod4j.loaders.config.ClipVisionConfig;
import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.runtime.backend.VisionParts;
import dev.mod4j.runtime.cpu.CpuVisionEncoder;
import dev.mod4j.runtime.cpu.Parallel;
import dev.mod4j.runtime.tensor.Linear;
import dev.mod4j.runtime.tensor.WeightMatrix;
import dev.mod4j.runtime.weights.ClipLayerWeights;
import dev.mod4j.runtime.vision.ClipVisionTower;
import dev.mod4j.runtime.weights.ClipVisionWeights;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/** {@code mod4j bench-vision}: latency of the CLIP ViT-L/14-336 tower (24 layers, hidden 1024, 577 tokens), random weights. */
@Command(name = "bench-vision", mixinStandardHelpOptions = true,
        description = "Vision-tower latency for the CLIP ViT-L/14-336 shape with random weights (in memory).")
final class VisionBenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    Mod4j.CommonOptions common;

    @Option(names = "--dtype", defaultValue = "F32", paramLabel = "DTYPE")
    String dtype;

    @Option(names = "--repeats", defaultValue = "3", paramLabel = "N")
    int repeats;

    @Option(names = "--threads", paramLabel = "N")
    Integer threads;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (threads != null) {
            Parallel.setCommonThreads(ModelOptions.checkThreads(threads));
        }
        ClipVisionConfig c = ClipVisionConfig.CLIP_VIT_L_14_336;
        DType type = DType.fromHeaderName(dtype.toUpperCase()).orElseThrow();
        SplittableRandom random = new SplittableRandom(3);
        try (Arena arena = Arena.ofShared()) {
            int h = c.hiddenSize();
            int m = c.intermediateSize();
            List<ClipLayerWeights> layers = new ArrayList<>();
            for (int i = 0; i < c.numHiddenLayers(); i++) {
                layers.add(new ClipLayerWeights(ones(h), zeros(h),
                        new Linear(matrix("q", h, h, type, arena, random), zeros(h)),
                        new Linear(matrix("k", h, h, type, arena, random), zeros(h)),
                        new Linear(matrix("v", h, h, type, arena, random), zeros(h)),
                        new Linear(matrix("o", h, h, type, arena, random), zeros(h)), ones(h), zeros(h),
                        new Linear(matrix("fc1", m, h, type, arena, random), zeros(m)),
                        new Linear(matrix("fc2", h, m, type, arena, random), zeros(h))));
            }
            int patch = c.numChannels() * c.patchSize() * c.patchSize();
            ClipVisionWeights weights = new ClipVisionWeights(zeros(h), matrix("patch", h, patch, type, arena, random),
                    new float[(c.patchCount() + 1) * h], ones(h), zeros(h), layers);
            ClipVisionTower tower = new ClipVisionTower(c,
                    new CpuVisionEncoder(new VisionParts(c, weights, null), Parallel.common()));
            float[] pixels = new float[3 * c.imageSize() * c.imageSize()];
            for (int i = 0; i < pixels.length; i++) {
                pixels[i] = (float) random.nextDouble() * 2 - 1;
            }
            tower.hiddenState(pixels, -2, null); // warm-up
            double best = Double.MAX_VALUE;
            for (int i = 0; i < repeats; i++) {
                long t0 = System.nanoTime();
                tower.hiddenState(pixels, -2, null);
                best = Math.min(best, (System.nanoTime() - t0) / 1e6);
            }
            long tokens = c.patchCount() + 1;
            double macs = (double) tokens * (c.numHiddenLayers() - 1) * (4.0 * h * h + 2.0 * h * m)
                    + (double) tokens * tokens * h * 2 * (c.numHiddenLayers() - 1);
            out.printf("CLIP ViT-L/14-336 tower, %s weights, %d tokens, layers up to the -2 hidden state (%d of %d),"
                            + " %d threads: %.0f ms (%.1f GFLOP/s)%n", type, tokens, c.numHiddenLayers() - 1,
                    c.numHiddenLayers(), Parallel.common().threads(), best, 2 * macs / best / 1e6);
        }
        return 0;
    }

    private static WeightMatrix matrix(String name, int out, int in, DType type, Arena arena, SplittableRandom random) {
        float[] values = new float[out * in];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextDouble() - 0.5) * 0.05f;
        }
        return WeightMatrix.ofFloats(name, values, type, out, in, arena);
    }

    private static float[] ones(int n) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, 1f);
        return a;
    }

    private static float[] zeros(int n) {
        return new float[n];
    }
}
