package dev.mod4j.tornado;

import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.runtime.weights.DecoderLayerWeights;
import dev.mod4j.runtime.weights.LlamaWeights;
import dev.mod4j.runtime.tensor.Linear;
import dev.mod4j.runtime.tensor.WeightMatrix;

import java.util.ArrayList;
import java.util.List;

/**
 * How the decoder's weight matrices are held on the device: float32 ({@code FloatArray}) or half
 * ({@code HalfFloatArray}, read by the kernels' half-weight variants, which convert to float and accumulate in float).
 * Norm weights, biases and rotary tables are always float32; they are small.
 */
public enum WeightPrecision {
    F32("f32"),
    F16("f16");

    /** As the backend's name prints it. */
    public final String label;

    WeightPrecision(String label) {
        this.label = label;
    }

    /**
     * F16 matrices stay half on a device that computes in fp16 (half the memory and bandwidth of float32, and the
     * very values of the checkpoint); everything else is float32: F16 on a device without fp16 (PoCL on a CPU), BF16
     * (TornadoVM's kernels have no bfloat16 arithmetic on every backend; widening BF16 is exact), F32, and a
     * checkpoint whose matrices do not share one element type ({@code checkpointMatrices} null).
     */
    public static WeightPrecision forDevice(boolean deviceHasFp16, DType checkpointMatrices) {
        return deviceHasFp16 && checkpointMatrices == DType.F16 ? F16 : F32;
    }

    /**
     * The element type every decoder matrix (the seven projections of every layer, and {@code lm_head}) shares in the
     * checkpoint, or null when they differ.
     */
    public static DType checkpointMatrices(LlamaWeights weights) {
        List<WeightMatrix> matrices = new ArrayList<>();
        for (DecoderLayerWeights l : weights.layers()) {
            for (Linear p : List.of(l.qProj(), l.kProj(), l.vProj(), l.oProj(), l.gateProj(), l.upProj(),
                    l.downProj())) {
                matrices.add(p.weight());
            }
        }
        matrices.add(weights.lmHead());
        DType common = matrices.getFirst().dtype();
        for (WeightMatrix m : matrices) {
            if (m.dtype() != common) {
                return null;
            }
        }
        return common;
    }
}
