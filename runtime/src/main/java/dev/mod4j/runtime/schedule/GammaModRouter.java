package dev.mod4j.runtime.schedule;

import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.layout.ModelFiles;
import dev.mod4j.loaders.safetensors.Checkpoint;
import dev.mod4j.loaders.safetensors.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * γ-MoD's shared vision-language router, {@code Linear(d, 2, bias=False)} (docs/methods.md §3.3): the probability
 * that a token is processed is {@code softmax(W · LN1_l(x))[1]}, with the current layer's input norm and the shared W.
 */
public record GammaModRouter(float[] weight, int hiddenSize, List<Integer> layersWithRouter) {

    /** Reads the router from every MoD layer that carries a copy (they are one shared tensor; any copy serves). */
    public static GammaModRouter load(ModelFiles files) {
        Checkpoint ckpt = files.language();
        int d = files.config().text().hiddenSize();
        List<Integer> layers = new ArrayList<>();
        float[] weight = null;
        for (int i = 0; i < files.config().text().numHiddenLayers(); i++) {
            String name = files.layout().gammaModRouter(i);
            if (ckpt.contains(name)) {
                Tensor t = ckpt.tensor(name).requireShape(2, d);
                layers.add(i);
                if (weight == null) {
                    weight = t.toFloatArray();
                }
            }
        }
        if (weight == null) {
            throw new InvalidInputException(files.language().directory().toString(), "the gmod schedule needs γ-MoD"
                    + " router tensors ('" + files.layout().gammaModRouter(3) + "', shape [2, " + d + "]), and this"
                    + " checkpoint has none; use gmod with a γ-MoD checkpoint, or dense/fastv/pdrop");
        }
        return new GammaModRouter(weight, d, List.copyOf(layers));
    }

    /**
     * softmax(W · LN1_layer(x))[1] for every current row, computed in float as PyTorch does: the two logits come from
     * the backend ({@link ScheduleContext#rowScores}), the softmax is taken here.
     */
    public float[] processProbabilities(int layer, ScheduleContext context) {
        float[] logits = context.rowScores(null, layer, weight, null, 2);
        int rows = logits.length / 2;
        float[] p = new float[rows];
        for (int r = 0; r < rows; r++) {
            float skip = logits[2 * r];
            float keep = logits[2 * r + 1];
            float max = Math.max(skip, keep);
            float eSkip = (float) Math.exp(skip - max);
            float eKeep = (float) Math.exp(keep - max);
            p[r] = eKeep / (eSkip + eKeep);
        }
        return p;
    }
}
