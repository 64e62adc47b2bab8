package dev.mod4j.tornado.bench;

import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.runtime.tensor.Linear;
import dev.mod4j.runtime.tensor.WeightMatrix;
import dev.mod4j.runtime.weights.ConvNextWeights;
import dev.mod4j.runtime.weights.MultiPathFusionWeights;
import dev.mod4j.runtime.weights.PatchInfoMiningWeights;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Random weights of the dual-encoder parts for the GPU benchmark's {@code hr-vision} section (the shapes of
 * {@code bench-vision --arch llava-hr / mgm-hd}: ConvNeXt-L depths 3/3/27/3, widths 192/384/768/1536 at real size;
 * LayerNorms at 1/0, small random matrices).
 */
final class HighResolutionBenchWeights {
    private HighResolutionBenchWeights() {
    }

    /** A ConvNeXt trunk: 4×4 stem, four stages of 7×7 depthwise blocks with an MLP of 4× the width. */
    static ConvNextWeights convNext(int[] depths, int[] widths, DType dtype, Arena arena, SplittableRandom random) {
        List<ConvNextWeights.Stage> stages = new ArrayList<>();
        for (int s = 0; s < 4; s++) {
            int w = widths[s];
            List<ConvNextWeights.Block> blocks = new ArrayList<>();
            for (int b = 0; b < depths[s]; b++) {
                blocks.add(new ConvNextWeights.Block(small(49 * w, random), new float[w], 7, ones(w), new float[w],
                        linear("fc1", 4 * w, w, dtype, arena, random), linear("fc2", w, 4 * w, dtype, arena, random),
                        filled(w, 0.1f)));
            }
            stages.add(s == 0 ? new ConvNextWeights.Stage(null, null, null, null, w, blocks)
                    : new ConvNextWeights.Stage(ones(widths[s - 1]), new float[widths[s - 1]],
                    matrix("downsample", w, 4 * widths[s - 1], dtype, arena, random), new float[w], w, blocks));
        }
        return new ConvNextWeights(matrix("stem", widths[0], 3 * 16, dtype, arena, random), new float[widths[0]],
                ones(widths[0]), new float[widths[0]], 4, stages);
    }

    /** LLaVA-HR's three MR-adapters and final fusion between a fast width and a slow width. */
    static MultiPathFusionWeights fusion(int fast, int slow, DType dtype, Arena arena, SplittableRandom random) {
        List<MultiPathFusionWeights.Adapter> adapters = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            adapters.add(new MultiPathFusionWeights.Adapter(linear("slow_conv", slow, slow, dtype, arena, random),
                    linear("slow_proj", fast, slow, dtype, arena, random), small(49 * fast, random), new float[fast], 7,
                    linear("fast_proj", fast, fast, dtype, arena, random),
                    linear("gate.0", fast / 2, 2 * fast, dtype, arena, random),
                    linear("gate.2", 1, fast / 2, dtype, arena, random)));
        }
        return new MultiPathFusionWeights(adapters, linear("fast", fast, fast, dtype, arena, random),
                linear("slow", fast, slow, dtype, arena, random));
    }

    /** Mini-Gemini's query, key and value projections (LayerNorm + Linear each). */
    static PatchInfoMiningWeights mining(int clip, int aux, DType dtype, Arena arena, SplittableRandom random) {
        return new PatchInfoMiningWeights(normedLinear(clip, clip, dtype, arena, random),
                normedLinear(aux, clip, dtype, arena, random), normedLinear(aux, clip, dtype, arena, random));
    }

    private static PatchInfoMiningWeights.NormedLinear normedLinear(int in, int out, DType dtype, Arena arena,
                                                                    SplittableRandom random) {
        return new PatchInfoMiningWeights.NormedLinear(ones(in), new float[in],
                linear("mining", out, in, dtype, arena, random));
    }

    private static Linear linear(String name, int out, int in, DType dtype, Arena arena, SplittableRandom random) {
        return new Linear(matrix(name, out, in, dtype, arena, random), new float[out]);
    }

    private static WeightMatrix matrix(String name, int out, int in, DType dtype, Arena arena,
                                       SplittableRandom random) {
        return WeightMatrix.ofFloats(name, small(Math.multiplyExact(out, in), random), dtype, out, in, arena);
    }

    private static float[] small(int n, SplittableRandom random) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) (random.nextDouble() - 0.5) * 0.05f;
        }
        return values;
    }

    private static float[] ones(int n) {
        return filled(n, 1f);
    }

    private static float[] filled(int n, float value) {
        float[] a = new float[n];
        Arrays.fill(a, value);
        return a;
    }
}
