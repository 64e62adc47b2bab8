package dev.mod4j.runtime.llava;

import dev.mod4j.loaders.config.MultimodalConfig;
import dev.mod4j.loaders.layout.CheckpointLayout;
import dev.mod4j.loaders.safetensors.Checkpoint;
import dev.mod4j.runtime.cpu.MatmulKernel;
import dev.mod4j.runtime.cpu.Parallel;
import dev.mod4j.runtime.cpu.VectorKernels;
import dev.mod4j.runtime.weights.LlamaWeights;
import dev.mod4j.runtime.tensor.WeightMatrix;

import java.util.ArrayList;
import java.util.List;

/**
 * The multimodal projector: {@code linear} or {@code mlpNx_gelu} (Linear → GELU → Linear ...), mapping vision
 * features to the decoder's hidden size.
 */
public record Projector(List<WeightMatrix> linears, List<float[]> biases, String activation) {

    public static Projector load(Checkpoint checkpoint, CheckpointLayout layout, MultimodalConfig config) {
        List<WeightMatrix> linears = new ArrayList<>();
        List<float[]> biases = new ArrayList<>();
        for (String name : layout.projectorLinears()) {
            linears.add(LlamaWeights.matrix(checkpoint.tensor(name + ".weight")));
            biases.add(checkpoint.contains(name + ".bias") ? checkpoint.tensor(name + ".bias").toFloatArray() : null);
        }
        return new Projector(List.copyOf(linears), java.util.Collections.unmodifiableList(biases),
                config.projectorHiddenAct());
    }

    public int outputSize() {
        return linears.getLast().outFeatures();
    }

    /** Projects {@code rows} feature rows [rows × vision hidden] to [rows × decoder hidden]. */
    public float[] project(float[] features, int rows) {
        float[] current = features;
        for (int i = 0; i < linears.size(); i++) {
            WeightMatrix w = linears.get(i);
            float[] out = new float[rows * w.outFeatures()];
            MatmulKernel.multiply(out, 0, current, 0, rows, w, Parallel.common());
            if (biases.get(i) != null) {
                VectorKernels.addBias(out, rows, biases.get(i));
            }
            if (i + 1 < linears.size()) {
                VectorKernels.activation(activation, out, 0, out.length);
            }
            current = out;
        }
        return current;
    }
}
