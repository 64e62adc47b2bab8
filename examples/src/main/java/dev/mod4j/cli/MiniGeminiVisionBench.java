package dev.mod4j.cli;

import dev.mod4j.loaders.config.ClipVisionConfig;
import dev.mod4j.loaders.config.MiniGeminiConfig;
import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.runtime.backend.VisionParts;
import dev.mod4j.runtime.cpu.CpuConvNextEncoder;
import dev.mod4j.runtime.cpu.CpuMiniGeminiEncoder;
import dev.mod4j.runtime.cpu.CpuVisionEncoder;
import dev.mod4j.runtime.cpu.Parallel;
import dev.mod4j.runtime.weights.ConvNextWeights;
import dev.mod4j.runtime.weights.PatchInfoMiningWeights;
import dev.mod4j.runtime.weights.PatchInfoMiningWeights.NormedLinear;

import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static dev.mod4j.cli.LlavaHrVisionBench.linear;
import static dev.mod4j.cli.VisionBenchCommand.max;
import static dev.mod4j.cli.VisionBenchCommand.median;
import static dev.mod4j.cli.VisionBenchCommand.min;
import static dev.mod4j.cli.VisionBenchCommand.ones;
import static dev.mod4j.cli.VisionBenchCommand.zeros;

/**
 * {@code bench-vision --arch mgm-hd}: Mini-Gemini-HD-7B's vision side with random weights of the real shapes (CLIP-L/14
 * at 336 px over a 2×2 grid of the 672 px resize plus a global view, hidden state −2; OpenCLIP ConvNeXt-L
 * {@code convnext_large_d_320}: depths 3/3/27/3, widths 192/384/768/1536, on the {@code image_size_aux} image, its four
 * stages resized to stage 0's map, 2,880 channels; patch info mining with 1024-wide projections), timed as a whole
 * with each part's share measured inside the same passes. FLOPs count 2 per multiply-add of every convolution,
 * linear and attention product.
 */
final class MiniGeminiVisionBench {
    private static final int WINDOW_TOKENS = 576;

    private final MiniGeminiConfig config;
    private final CpuMiniGeminiEncoder encoder;

    MiniGeminiVisionBench(int imageSizeAux, DType type, Arena arena, SplittableRandom random) {
        config = new MiniGeminiConfig("OpenAI/openclip-convnext-large-d-320-laion2B-s29B-b131K-ft-soup", imageSizeAux,
                2, true);
        ClipVisionConfig c = ClipVisionConfig.CLIP_VIT_L_14_336;
        int h = c.hiddenSize();
        CpuVisionEncoder clip = new CpuVisionEncoder(new VisionParts(c,
                LlavaHrVisionBench.randomClip(c, type, arena, random), null), Parallel.common());
        ConvNextWeights aux = LlavaHrVisionBench.randomConvNextLarge(type, arena, random);
        int auxWidth = Arrays.stream(aux.widths()).sum();
        PatchInfoMiningWeights mining = new PatchInfoMiningWeights(
                new NormedLinear(ones(h), zeros(h), linear("query", h, h, type, arena, random)),
                new NormedLinear(ones(auxWidth), zeros(auxWidth), linear("aux", h, auxWidth, type, arena, random)),
                new NormedLinear(ones(auxWidth), zeros(auxWidth), linear("val", h, auxWidth, type, arena, random)));
        encoder = new CpuMiniGeminiEncoder(config, c, clip, c.numHiddenLayers() - 1,
                new CpuConvNextEncoder(aux, Parallel.common()), mining, Parallel.common());
    }

    void run(PrintWriter out, int repeats, boolean json) {
        int size = config.imageSizeAux();
        float[] pixels = new float[3 * size * size];
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (float) random.nextDouble() * 2 - 1;
        }
        encoder.features(pixels); // warm-up
        double[] totalMillis = new double[repeats];
        double[] lowMillis = new double[repeats];
        double[] highMillis = new double[repeats];
        for (int i = 0; i < repeats; i++) {
            Map<String, Long> at = new HashMap<>();
            long t0 = System.nanoTime();
            encoder.features(pixels, part -> at.put(part, System.nanoTime()));
            long t1 = System.nanoTime();
            totalMillis[i] = (t1 - t0) / 1e6;
            lowMillis[i] = (at.get("low-res") - t0) / 1e6;
            highMillis[i] = (at.get("high-res") - at.get("low-res")) / 1e6;
        }
        int views = config.views();
        double lowFlops = 2 * clipMacs(views);
        double highFlops = 2 * LlavaHrVisionBench.slowMacs(size);
        double miningFlops = 2 * miningMacs(size);
        double low = median(lowMillis);
        double high = median(highMillis);
        double total = median(totalMillis);
        double mining = total - low - high;
        if (json) {
            Map<String, Object> root = new java.util.LinkedHashMap<>();
            root.put("arch", "mgm-hd");
            root.put("image_size_aux_px", size);
            root.put("image_tokens", encoder.featureRows());
            root.put("threads", Parallel.common().threads());
            root.put("repeats", repeats);
            root.put("low_res_ms", low);
            root.put("low_res_macs", (long) clipMacs(views));
            root.put("high_res_ms", high);
            root.put("high_res_macs", (long) LlavaHrVisionBench.slowMacs(size));
            root.put("mining_ms", mining);
            root.put("mining_macs", (long) miningMacs(size));
            root.put("tower_ms", total);
            root.put("tower_ms_min", min(totalMillis));
            root.put("tower_ms_max", max(totalMillis));
            root.put("tower_gflops_per_s", (lowFlops + highFlops + miningFlops) / total / 1e6);
            JsonOutput.print(out, root);
            return;
        }
        out.printf("Mini-Gemini-HD-7B vision (random weights), image_size_aux %d px -> %d image tokens, %d threads;"
                + " medians of %d rounds:%n", size, encoder.featureRows(), Parallel.common().threads(), repeats);
        out.printf("  low-res   CLIP-L/14-336 on %d views      %8.0f ms  %7.1f GFLOP (%6.1f GFLOP/s)%n", views, low,
                lowFlops / 1e9, lowFlops / low / 1e6);
        out.printf("  high-res  ConvNeXt-L on %d px           %8.0f ms  %7.1f GFLOP (%6.1f GFLOP/s)%n", size, high,
                highFlops / 1e9, highFlops / high / 1e6);
        out.printf("  mining    patch info mining (%dx%d windows) %6.0f ms  %7.1f GFLOP (%6.1f GFLOP/s)%n",
                window(size), window(size), mining, miningFlops / 1e9, miningFlops / mining / 1e6);
        double all = lowFlops + highFlops + miningFlops;
        out.printf("  vision                                  %8.0f ms  %7.1f GFLOP (%6.1f GFLOP/s; range %.0f-%.0f ms)%n",
                total, all / 1e9, all / total / 1e6, min(totalMillis), max(totalMillis));
    }

    /** CLIP-L/14-336 over {@code views} images of 577 tokens, 23 layers (hidden state −2 is the last one needed). */
    static double clipMacs(int views) {
        double tokens = 577;
        double h = 1024;
        double m = 4096;
        return views * (576 * 588 * h + 23 * (tokens * (4 * h * h + 2 * h * m) + 2 * tokens * tokens * h));
    }

    /**
     * Patch info mining: the query projection of 2,880 rows; the key and value projections of every high-resolution
     * row a view reads (the tiles cover the whole map, the global view a map a quarter its size), 2,880 channels to
     * 1024; and per row, scores and the weighted sum over its window.
     */
    static double miningMacs(int size) {
        double h = 1024;
        double side = size / 4.0;
        double positions = side * side * 1.25;
        double rows = 5 * WINDOW_TOKENS;
        double w = window(size);
        return rows * h * h + 2 * positions * 2880 * h + rows * w * w * 2 * h;
    }

    private static int window(int size) {
        return size / 4 / 2 / 24;
    }
}
