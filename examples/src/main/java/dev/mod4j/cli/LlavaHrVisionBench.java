package dev.mod4j.cli;

import dev.mod4j.loaders.config.ClipVisionConfig;
import dev.mod4j.loaders.config.LlavaHrConfig;
import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.runtime.backend.VisionParts;
import dev.mod4j.runtime.cpu.CpuConvNextEncoder;
import dev.mod4j.runtime.cpu.CpuLlavaHrEncoder;
import dev.mod4j.runtime.cpu.Parallel;
import dev.mod4j.runtime.tensor.Linear;
import dev.mod4j.runtime.weights.ClipLayerWeights;
import dev.mod4j.runtime.weights.ClipVisionWeights;
import dev.mod4j.runtime.weights.ConvNextWeights;
import dev.mod4j.runtime.weights.MultiPathFusionWeights;

import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static dev.mod4j.cli.VisionBenchCommand.matrix;
import static dev.mod4j.cli.VisionBenchCommand.max;
import static dev.mod4j.cli.VisionBenchCommand.median;
import static dev.mod4j.cli.VisionBenchCommand.min;
import static dev.mod4j.cli.VisionBenchCommand.ones;
import static dev.mod4j.cli.VisionBenchCommand.zeros;

/**
 * {@code bench-vision --arch llava-hr}: LLaVA-HR-7B's multipath tower with random weights of the real shapes
 * (ConvNeXt-L {@code convnext_large_mlp}: depths 3/3/27/3, widths 192/384/768/1536, on the 1024 px image; CLIP-L/14 at
 * 448 px, 24 layers, hidden 1024; three MR-adapters; the final fusion), timed as a whole with the slow branch's
 * share measured inside the same passes. FLOPs count 2 per multiply-add of every convolution, linear and attention
 * product.
 */
final class LlavaHrVisionBench {
    private static final int[] DEPTHS = {3, 3, 27, 3};
    private static final int[] WIDTHS = {192, 384, 768, 1536};
    private static final LlavaHrConfig CONFIG =
            new LlavaHrConfig("convnext_large_mlp.clip_laion2b_ft_320", 1024, true);

    private final CpuLlavaHrEncoder encoder;

    LlavaHrVisionBench(DType type, Arena arena, SplittableRandom random) {
        ClipVisionConfig c = ClipVisionConfig.CLIP_VIT_L_14_336;
        int h = c.hiddenSize();
        ClipVisionWeights clip = randomClip(c, type, arena, random);
        ConvNextWeights slow = randomConvNextLarge(type, arena, random);
        int cs = WIDTHS[3];
        List<MultiPathFusionWeights.Adapter> adapters = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            adapters.add(new MultiPathFusionWeights.Adapter(linear("slow_conv", cs, cs, type, arena, random),
                    linear("slow_proj", h, cs, type, arena, random), small(49 * h, random), zeros(h), 7,
                    linear("fast_proj", h, h, type, arena, random), linear("gate.0", h / 2, 2 * h, type, arena, random),
                    linear("gate.2", 1, h / 2, type, arena, random)));
        }
        MultiPathFusionWeights fusion = new MultiPathFusionWeights(adapters, linear("fast", h, h, type, arena, random),
                linear("slow", h, cs, type, arena, random));
        encoder = new CpuLlavaHrEncoder(CONFIG, new VisionParts(c, clip, null),
                new CpuConvNextEncoder(slow, Parallel.common()), fusion, Parallel.common());
    }

    /** CLIP-L/14-336's tower with random weights (LayerNorms at 1/0, biases 0, no position signal). */
    static ClipVisionWeights randomClip(ClipVisionConfig c, DType type, Arena arena, SplittableRandom random) {
        int h = c.hiddenSize();
        int m = c.intermediateSize();
        List<ClipLayerWeights> layers = new ArrayList<>();
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            layers.add(new ClipLayerWeights(ones(h), zeros(h), linear("q", h, h, type, arena, random),
                    linear("k", h, h, type, arena, random), linear("v", h, h, type, arena, random),
                    linear("o", h, h, type, arena, random), ones(h), zeros(h), linear("fc1", m, h, type, arena, random),
                    linear("fc2", h, m, type, arena, random)));
        }
        int patch = 3 * c.patchSize() * c.patchSize();
        return new ClipVisionWeights(zeros(h), matrix("patch", h, patch, type, arena, random),
                new float[(c.patchCount() + 1) * h], ones(h), zeros(h), layers);
    }

    /** timm's convnext_large trunk (depths 3/3/27/3, widths 192/384/768/1536) with random weights. */
    static ConvNextWeights randomConvNextLarge(DType type, Arena arena, SplittableRandom random) {
        List<ConvNextWeights.Stage> stages = new ArrayList<>();
        for (int s = 0; s < 4; s++) {
            int w = WIDTHS[s];
            List<ConvNextWeights.Block> blocks = new ArrayList<>();
            for (int b = 0; b < DEPTHS[s]; b++) {
                blocks.add(new ConvNextWeights.Block(small(49 * w, random), zeros(w), 7, ones(w), zeros(w),
                        linear("fc1", 4 * w, w, type, arena, random), linear("fc2", w, 4 * w, type, arena, random),
                        small(w, random)));
            }
            stages.add(s == 0 ? new ConvNextWeights.Stage(null, null, null, null, w, blocks)
                    : new ConvNextWeights.Stage(ones(WIDTHS[s - 1]), zeros(WIDTHS[s - 1]),
                    matrix("down", w, 4 * WIDTHS[s - 1], type, arena, random), zeros(w), w, blocks));
        }
        return new ConvNextWeights(matrix("stem", WIDTHS[0], 48, type, arena, random),
                zeros(WIDTHS[0]), ones(WIDTHS[0]), zeros(WIDTHS[0]), 4, stages);
    }

    void run(PrintWriter out, int repeats, boolean json) {
        int size = CONFIG.inputImageSize();
        float[] pixels = new float[3 * size * size];
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (float) random.nextDouble() * 2 - 1;
        }
        long[] slowDone = new long[1];
        encoder.features(pixels, null); // warm-up
        double[] totalMillis = new double[repeats];
        double[] slowMillis = new double[repeats];
        for (int i = 0; i < repeats; i++) {
            long t0 = System.nanoTime();
            encoder.features(pixels, (name, value) -> {
                if (name.equals("slow")) {
                    slowDone[0] = System.nanoTime();
                }
            });
            long t1 = System.nanoTime();
            totalMillis[i] = (t1 - t0) / 1e6;
            slowMillis[i] = (slowDone[0] - t0) / 1e6;
        }
        double slowFlops = 2 * slowMacs(size);
        double fastFlops = 2 * fastMacs();
        double slow = median(slowMillis);
        double total = median(totalMillis);
        if (json) {
            Map<String, Object> root = new LinkedHashMap<>();
            root.put("arch", "llava-hr");
            root.put("image_px", size);
            root.put("image_tokens", encoder.featureRows());
            root.put("threads", Parallel.common().threads());
            root.put("repeats", repeats);
            root.put("slow_ms", slow);
            root.put("slow_macs", (long) slowMacs(size));
            root.put("fast_ms", total - slow);
            root.put("fast_macs", (long) fastMacs());
            root.put("tower_ms", total);
            root.put("tower_ms_min", min(totalMillis));
            root.put("tower_ms_max", max(totalMillis));
            root.put("tower_gflops_per_s", (slowFlops + fastFlops) / total / 1e6);
            JsonOutput.print(out, root);
            return;
        }
        out.printf("LLaVA-HR-7B multipath tower (random weights), %d px image -> %d image tokens, %d threads;"
                        + " medians of %d rounds:%n", size, encoder.featureRows(), Parallel.common().threads(),
                repeats);
        out.printf("  slow  ConvNeXt-L on %d px       %8.0f ms  %7.1f GFLOP (%6.1f GFLOP/s)%n", size, slow,
                slowFlops / 1e9, slowFlops / slow / 1e6);
        out.printf("  fast  CLIP-L/14 on %d px + fusion %6.0f ms  %7.1f GFLOP (%6.1f GFLOP/s)%n",
                CONFIG.fastImageSize(), total - slow, fastFlops / 1e9, fastFlops / (total - slow) / 1e6);
        out.printf("  tower                           %8.0f ms  %7.1f GFLOP (%6.1f GFLOP/s; range %.0f-%.0f ms)%n",
                total, (slowFlops + fastFlops) / 1e9, (slowFlops + fastFlops) / total / 1e6, min(totalMillis),
                max(totalMillis));
    }

    /** Multiply-adds of the ConvNeXt-L trunk: stem, downsamples, and per block depthwise 7×7 plus the 4× MLP. */
    static double slowMacs(int size) {
        double positions = (size / 4.0) * (size / 4.0);
        double macs = positions * 48 * WIDTHS[0];
        for (int s = 0; s < 4; s++) {
            if (s > 0) {
                positions /= 4;
                macs += positions * 4 * WIDTHS[s - 1] * WIDTHS[s];
            }
            macs += DEPTHS[s] * positions * WIDTHS[s] * (49.0 + 8.0 * WIDTHS[s]);
        }
        return macs;
    }

    /** Multiply-adds of the fast branch at 448 px (1024 tokens) with the adapters and the final fusion. */
    static double fastMacs() {
        double tokens = 1024;
        double h = 1024;
        double m = 4096;
        double cs = WIDTHS[3];
        double macs = tokens * 588 * h + 24 * (tokens * (4 * h * h + 2 * h * m) + 2 * tokens * tokens * h);
        macs += 3 * tokens * (cs * cs + cs * h + 49 * h + h * h);
        return macs + tokens * (h * h + cs * h);
    }

    static Linear linear(String name, int out, int in, DType type, Arena arena, SplittableRandom random) {
        return new Linear(matrix(name, out, in, type, arena, random), zeros(out));
    }

    static float[] small(int n, SplittableRandom random) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (random.nextDouble() - 0.5) * 0.05f;
        }
        return a;
    }
}
