package dev.mod4j.runtime.arank;

import dev.mod4j.loaders.config.LlamaConfig;
import dev.mod4j.loaders.progress.ProgressListener;
import dev.mod4j.loaders.progress.ProgressTask;
import dev.mod4j.runtime.cpu.AttentionProbabilities;
import dev.mod4j.runtime.cpu.Parallel;
import dev.mod4j.runtime.cpu.VectorKernels;
import dev.mod4j.runtime.weights.DecoderLayerWeights;
import dev.mod4j.runtime.model.LlamaModel;
import dev.mod4j.runtime.prompt.PromptRows;
import dev.mod4j.runtime.schedule.LayerPlan;
import dev.mod4j.runtime.schedule.ScheduleContext;
import dev.mod4j.runtime.schedule.TokenSchedule;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * γ-MoD's ARank (docs/methods.md §3.2): per layer, the head-averaged numerical rank of the layer's attention map on
 * one sample. Per head: the post-softmax causal attention probabilities A (N × N), diagonal set to 0, rank with
 * torch's default float32 tolerance; ARank_l = mean over heads. Layers with low ARank are redundant and are the ones
 * γ-MoD turns into MoD layers.
 *
 * <p>It runs a dense prefill and, before each layer, recomputes that layer's attention maps from the layer's input
 * (the same hidden states the layer sees), so nothing in the forward pass needs to materialise N × N matrices.
 */
public final class AttentionRank {
    private AttentionRank() {
    }

    /** ARank of every layer for one prompt (text and image rows). */
    public static double[] of(LlamaModel model, PromptRows prompt) {
        return Arrays.stream(headRanks(model, prompt)).mapToDouble(h -> Arrays.stream(h).average().orElse(0)).toArray();
    }

    /**
     * mod4j's proposal of MoD layers from ARank values (docs/methods.md §3.2; no released code has one): the
     * {@code round(fraction · L)} layers of lowest ARank, ties to the lower layer index, in ascending order.
     */
    public static int[] lowestLayers(double[] arank, double fraction) {
        int count = (int) Math.round(fraction * arank.length);
        return IntStream.range(0, arank.length).boxed().sorted(Comparator.comparingDouble(l -> arank[l]))
                .limit(count).mapToInt(Integer::intValue).sorted().toArray();
    }

    /** The rank of every head's attention map, [layer][head], for one prompt. */
    public static int[][] headRanks(LlamaModel model, PromptRows prompt) {
        int[][] ranks = new int[model.config().numHiddenLayers()][];
        ProgressTask progress = ProgressListener.current().start("arank (layers)", ranks.length);
        TokenSchedule probe = new TokenSchedule() {
            @Override
            public String spec() {
                return "dense";
            }

            @Override
            public LayerPlan plan(int layer, ScheduleContext context) {
                ranks[layer] = layerRank(model, layer, context.hidden(), context.rows());
                progress.advance(1);
                return LayerPlan.DENSE;
            }
        };
        try (progress) {
            model.newSession(prompt.length()).schedule(probe).prefill(prompt, null);
        }
        return ranks;
    }

    static int[] layerRank(LlamaModel model, int layer, float[] hidden, int n) {
        LlamaConfig c = model.config();
        DecoderLayerWeights w = model.backend().hostWeights().layers().get(layer);
        int headDim = c.headDim();
        int[] positions = new int[n];
        Arrays.setAll(positions, r -> r);
        float[][] qk = AttentionProbabilities.queriesAndKeys(c, w, model.rope(), hidden, n, 0, positions,
                Parallel.common());
        int[] ranks = new int[c.numAttentionHeads()];
        Parallel.common().forEach(c.numAttentionHeads(), h -> {
            int kvOffset = (h / c.queryGroupSize()) * headDim;
            double[] a = new double[n * n];
            float[] row = new float[n];
            float[] lanes = VectorKernels.lanes();
            for (int i = 0; i < n; i++) {
                float sum = AttentionProbabilities.softmaxNumerators(qk[0], i * c.qDim() + h * headDim, qk[1],
                        c.kvDim(), kvOffset, i + 1, headDim, lanes, row);
                for (int j = 0; j < i; j++) {
                    a[i * n + j] = row[j] / sum; // diagonal (j = i) left at 0, as the reference code does
                }
            }
            ranks[h] = MatrixRank.rank(a, n);
        });
        return ranks;
    }
}
