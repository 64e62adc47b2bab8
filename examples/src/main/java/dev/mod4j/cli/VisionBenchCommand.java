package dev.mod4j.cli;

import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.config.ClipVisionConfig;
import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.runtime.backend.VisionParts;
import dev.mod4j.runtime.cpu.CpuVisionEncoder;
import dev.mod4j.runtime.cpu.MatmulKernel;
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
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/**
 * {@code mod4j bench-vision}: the CLIP ViT-L/14-336 tower (24 layers, hidden 1024, 577 tokens a crop) with random
 * weights, all crops in one pass, timed in alternation with the same run's matrix products of the tower's linears
 * (same weights, same rows): the tower's GFLOP/s against the GEMM's on the same shapes, the same minute.
 */
@Command(name = "bench-vision", mixinStandardHelpOptions = true,
        description = {"Vision-tower speed for the CLIP ViT-L/14-336 shape with random weights (in memory): GFLOP/s of"
                + " the tower next to the same run's GEMMs of the tower's linears (same shapes and weights), timed"
                + " alternately; medians."})
final class VisionBenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    Mod4j.CommonOptions common;

    @Option(names = "--dtype", defaultValue = "F32", paramLabel = "DTYPE")
    String dtype;

    @Option(names = "--repeats", defaultValue = "5", paramLabel = "N",
            description = "Timed rounds of tower and GEMMs each, alternating (default: ${DEFAULT-VALUE}).")
    int repeats;

    @Option(names = "--crops", defaultValue = "1", paramLabel = "N",
            description = "Images encoded in one pass, as LLaVA-NeXT's crops (default: ${DEFAULT-VALUE}).")
    int crops;

    @Option(names = "--threads", paramLabel = "N")
    Integer threads;

    @Option(names = "--arch", defaultValue = "llava-1.5", paramLabel = "ARCH",
            description = "llava-1.5 (the CLIP tower alone, default), llava-hr (LLaVA-HR-7B's multipath tower:"
                    + " ConvNeXt-L on 1024 px beside CLIP-L/14 on 448 px, MR-adapters, fusion; 1024 image tokens) or"
                    + " mgm-hd (Mini-Gemini-HD-7B: CLIP-L/14-336 on 2x2 tiles + a global view, ConvNeXt-L on"
                    + " --image-size-aux px, patch info mining; 2880 image tokens).")
    String arch;

    @Option(names = "--layers", paramLabel = "N",
            description = "Encoder layers of CLIP ViT-L/14-336 to build (default: its 24; LLaVA runs all but the last;"
                    + " 2 is a quick smoke test). llava-1.5 only.")
    Integer layers;

    @Option(names = "--json", description = "Print the results as JSON (docs/schemas/bench-vision.schema.json).")
    boolean json;

    @Option(names = "--image-size-aux", defaultValue = "1536", paramLabel = "PX",
            description = "mgm-hd only: the auxiliary tower's image side (MGM-HD: 1536; γ-MoD's finetune script: 768).")
    int imageSizeAux;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (repeats < 1 || crops < 1) {
            throw new InvalidInputException(repeats < 1 ? "--repeats" : "--crops", "must be at least 1");
        }
        if (threads != null) {
            Parallel.setCommonThreads(ModelOptions.checkThreads(threads));
        }
        ClipVisionConfig c = ClipVisionConfig.CLIP_VIT_L_14_336;
        if (layers != null) {
            if (layers < 2 || layers > c.numHiddenLayers()) {
                throw new InvalidInputException("--layers", "must be in [2, " + c.numHiddenLayers() + "], got "
                        + layers);
            }
            c = new ClipVisionConfig(c.hiddenSize(), c.intermediateSize(), layers, c.numAttentionHeads(),
                    c.numChannels(), c.imageSize(), c.patchSize(), c.hiddenAct(), c.layerNormEps(), c.projectionDim());
        }
        DType type = DType.fromHeaderName(dtype.toUpperCase(java.util.Locale.ROOT))
                .orElseThrow(() -> new InvalidInputException("--dtype", "unknown dtype '" + dtype + "'"));
        SplittableRandom random = new SplittableRandom(3);
        if (arch.equals("llava-hr")) {
            if (layers != null) {
                throw new InvalidInputException("--layers", "applies to --arch llava-1.5 only");
            }
            try (Arena arena = Arena.ofShared()) {
                new LlavaHrVisionBench(type, arena, random).run(out, repeats, json);
            }
            return 0;
        }
        if (arch.equals("mgm-hd")) {
            if (layers != null) {
                throw new InvalidInputException("--layers", "applies to --arch llava-1.5 only");
            }
            if (imageSizeAux < 192 || imageSizeAux % 192 != 0 || imageSizeAux > 4608) {
                throw new InvalidInputException("--image-size-aux", "must be a multiple of 192 (whole 2x2 tiles of"
                        + " 24x24 windows on the ConvNeXt's stride-4 map) from 192 to 4608, got " + imageSizeAux);
            }
            try (Arena arena = Arena.ofShared()) {
                new MiniGeminiVisionBench(imageSizeAux, type, arena, random).run(out, repeats, json);
            }
            return 0;
        }
        if (!arch.equals("llava-1.5")) {
            throw new InvalidInputException("--arch", "expected llava-1.5, llava-hr or mgm-hd, got '" + arch + "'");
        }
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
            float[][] images = new float[crops][3 * c.imageSize() * c.imageSize()];
            for (float[] pixels : images) {
                for (int i = 0; i < pixels.length; i++) {
                    pixels[i] = (float) random.nextDouble() * 2 - 1;
                }
            }
            int usedLayers = c.numHiddenLayers() - 1; // LLaVA takes hidden state -2
            int tokens = c.patchCount() + 1;
            int rows = crops * tokens;
            GemmsOfTheTower gemms = new GemmsOfTheTower(layers.subList(0, usedLayers), rows, h, m);
            tower.hiddenStates(images, -2); // warm-up
            gemms.run();
            double[] towerMillis = new double[repeats];
            double[] gemmMillis = new double[repeats];
            for (int i = 0; i < repeats; i++) {
                long t0 = System.nanoTime();
                tower.hiddenStates(images, -2);
                long t1 = System.nanoTime();
                gemms.run();
                long t2 = System.nanoTime();
                towerMillis[i] = (t1 - t0) / 1e6;
                gemmMillis[i] = (t2 - t1) / 1e6;
            }
            double gemmMacs = (double) rows * usedLayers * (4.0 * h * h + 2.0 * h * m);
            double attentionMacs = 2.0 * crops * tokens * tokens * h * usedLayers;
            double patchMacs = (double) crops * c.patchCount() * patch * h;
            double towerGflops = 2 * (gemmMacs + attentionMacs + patchMacs) / median(towerMillis) / 1e6;
            double gemmGflops = 2 * gemmMacs / median(gemmMillis) / 1e6;
            if (json) {
                Map<String, Object> root = new LinkedHashMap<>();
                root.put("arch", arch);
                root.put("dtype", type.name());
                root.put("crops", crops);
                root.put("tokens_per_crop", tokens);
                root.put("layers_run", usedLayers);
                root.put("threads", Parallel.common().threads());
                root.put("repeats", repeats);
                root.put("tower_ms", median(towerMillis));
                root.put("tower_ms_min", min(towerMillis));
                root.put("tower_ms_max", max(towerMillis));
                root.put("tower_macs", (long) (gemmMacs + attentionMacs + patchMacs));
                root.put("tower_gflops_per_s", towerGflops);
                root.put("gemm_ms", median(gemmMillis));
                root.put("gemm_ms_min", min(gemmMillis));
                root.put("gemm_ms_max", max(gemmMillis));
                root.put("gemm_macs", (long) gemmMacs);
                root.put("gemm_gflops_per_s", gemmGflops);
                root.put("tower_to_gemm_gflops_ratio", towerGflops / gemmGflops);
                JsonOutput.print(out, root);
                return 0;
            }
            out.printf("CLIP ViT-L/14-336 tower, %s weights, %d crop%s x %d tokens in one pass, layers up to the -2"
                            + " hidden state (%d of %d), %d threads; medians of %d alternating rounds:%n", type, crops,
                    crops == 1 ? "" : "s", tokens, usedLayers, c.numHiddenLayers(), Parallel.common().threads(),
                    repeats);
            out.printf("  tower       %8.0f ms  %6.1f GFLOP/s  (%.0f ms a crop; range %.0f-%.0f ms)%n",
                    median(towerMillis), towerGflops, median(towerMillis) / crops, min(towerMillis), max(towerMillis));
            out.printf("  GEMMs       %8.0f ms  %6.1f GFLOP/s  (the tower's linears alone: %d rows, same weights;"
                            + " range %.0f-%.0f ms)%n", median(gemmMillis), gemmGflops, rows, min(gemmMillis),
                    max(gemmMillis));
            out.printf("  tower/GEMM  %8.2f  (GFLOP/s ratio)%n", towerGflops / gemmGflops);
        }
        return 0;
    }

    /** The products of the tower's linears over the same rows, alone: the GEMM speed the tower is held to. */
    private static final class GemmsOfTheTower {
        private final List<ClipLayerWeights> layers;
        private final int rows;
        private final float[] hidden;
        private final float[] wide;
        private final float[] out;

        GemmsOfTheTower(List<ClipLayerWeights> layers, int rows, int h, int m) {
            this.layers = layers;
            this.rows = rows;
            SplittableRandom random = new SplittableRandom(5);
            this.hidden = new float[rows * h];
            this.wide = new float[rows * m];
            for (int i = 0; i < hidden.length; i++) {
                hidden[i] = (float) random.nextDouble() - 0.5f;
            }
            for (int i = 0; i < wide.length; i++) {
                wide[i] = (float) random.nextDouble() - 0.5f;
            }
            this.out = new float[rows * m];
        }

        void run() {
            Parallel parallel = Parallel.common();
            for (ClipLayerWeights w : layers) {
                for (Linear linear : List.of(w.qProj(), w.kProj(), w.vProj(), w.outProj())) {
                    MatmulKernel.multiply(out, 0, hidden, 0, rows, linear.weight(), parallel);
                }
                MatmulKernel.multiply(out, 0, hidden, 0, rows, w.fc1().weight(), parallel);
                MatmulKernel.multiply(out, 0, wide, 0, rows, w.fc2().weight(), parallel);
            }
        }
    }

    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    static double min(double[] values) {
        return Arrays.stream(values).min().orElseThrow();
    }

    static double max(double[] values) {
        return Arrays.stream(values).max().orElseThrow();
    }

    static WeightMatrix matrix(String name, int out, int in, DType type, Arena arena, SplittableRandom random) {
        float[] values = new float[out * in];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextDouble() - 0.5) * 0.05f;
        }
        return WeightMatrix.ofFloats(name, values, type, out, in, arena);
    }

    static float[] ones(int n) {
        float[] a = new float[n];
        Arrays.fill(a, 1f);
        return a;
    }

    static float[] zeros(int n) {
        return new float[n];
    }
}
