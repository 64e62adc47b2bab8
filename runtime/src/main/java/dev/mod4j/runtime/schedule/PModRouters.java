package dev.mod4j.runtime.schedule;

import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.layout.ModelFiles;
import dev.mod4j.loaders.safetensors.Checkpoint;

import java.util.Map;
import java.util.TreeMap;

/**
 * p-MoD's per-layer routers {@code Linear(d, 1)} (docs/methods.md §4.2, §4.8): logit {@code r = w·x + b} on the raw
 * residual stream x (no norm). Layers without a router in the checkpoint are dense.
 */
public record PModRouters(Map<Integer, float[]> weights, Map<Integer, Float> biases, int hiddenSize) {

    public static PModRouters load(ModelFiles files) {
        Checkpoint ckpt = files.language();
        int d = files.config().text().hiddenSize();
        Map<Integer, float[]> weights = new TreeMap<>();
        Map<Integer, Float> biases = new TreeMap<>();
        for (int i = 0; i < files.config().text().numHiddenLayers(); i++) {
            String w = files.layout().pModRouterWeight(i);
            if (ckpt.contains(w)) {
                weights.put(i, ckpt.tensor(w).requireShape(1, d).toFloatArray());
                String b = files.layout().pModRouterBias(i);
                biases.put(i, ckpt.contains(b) ? ckpt.tensor(b).requireShape(1).getFloat(0) : 0f);
            }
        }
        if (weights.isEmpty()) {
            throw new InvalidInputException(files.language().directory().toString(), "the pmod schedule needs p-MoD"
                    + " router tensors ('" + files.layout().pModRouterWeight(8) + "', shape [1, " + d + "]), and this"
                    + " checkpoint has none; use pmod with a p-MoD checkpoint, or dense/fastv/pdrop");
        }
        return new PModRouters(Map.copyOf(weights), Map.copyOf(biases), d);
    }

    /** Zero-initialised routers (p-MoD's mod_special_init) for the given layers: every weight is exactly 1. */
    public static PModRouters zero(Iterable<Integer> layers, int hiddenSize) {
        Map<Integer, float[]> weights = new TreeMap<>();
        Map<Integer, Float> biases = new TreeMap<>();
        for (int layer : layers) {
            weights.put(layer, new float[hiddenSize]);
            biases.put(layer, 0f);
        }
        return new PModRouters(weights, biases, hiddenSize);
    }

    /**
     * Router logits {@code r = w·x + b} of the given current rows of layer {@code layer}, computed where the rows live
     * ({@link ScheduleContext#rowScores}).
     */
    public float[] logits(int layer, int[] rows, ScheduleContext context) {
        return context.rowScores(rows, -1, weights.get(layer), new float[]{biases.get(layer)}, 1);
    }
}
