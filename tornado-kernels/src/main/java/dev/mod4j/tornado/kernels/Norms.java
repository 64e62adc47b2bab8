package dev.mod4j.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/** Normalisations: one work-group per row, its sums reduced in local memory. */
public final class Norms {
    /** Work-group size of {@link #rmsNorm} and {@link #layerNorm}; a power of two. */
    public static final int LOCAL_SIZE = 128;

    private Norms() {
    }

    /**
     * HF LlamaRMSNorm, {@code out = w * x / sqrt(mean(x²) + eps)}, of row {@code groupIdx} of {@code x}
     * ([rows × size]). The weight of layer L starts at {@code L * weightLayerStride} (0 for the final norm).
     * Launch with {@code rows × LOCAL_SIZE} work-items in groups of {@link #LOCAL_SIZE}.
     */
    public static void rmsNorm(KernelContext context, IntArray step, FloatArray x, FloatArray weights,
                               int weightLayerStride, FloatArray out, int size, float eps) {
        float[] partial = context.allocateFloatLocalArray(LOCAL_SIZE);
        int row = context.groupIdx;
        int lid = context.localIdx;
        if (row < step.get(Step.ROWS)) {
            int offset = row * size;
            float sum = 0f;
            for (int i = lid; i < size; i += LOCAL_SIZE) {
                float v = x.get(offset + i);
                sum += v * v;
            }
            partial[lid] = sum;
            for (int stride = LOCAL_SIZE / 2; stride > 0; stride /= 2) {
                context.localBarrier();
                if (lid < stride) {
                    partial[lid] += partial[lid + stride];
                }
            }
            context.localBarrier();
            float scale = 1.0f / TornadoMath.sqrt(partial[0] / size + eps);
            int w = step.get(Step.LAYER) * weightLayerStride;
            for (int i = lid; i < size; i += LOCAL_SIZE) {
                out.set(offset + i, weights.get(w + i) * (x.get(offset + i) * scale));
            }
        }
    }

    /**
     * PyTorch's LayerNorm with bias (CLIP's {@code layer_norm1/2}, {@code pre_layrnorm}) of row {@code groupIdx}:
     * {@code out = (x − mean) / sqrt(var + eps) · w + b}, the variance of the centred values (two passes, as the
     * CPU backend). Layer L's weight and bias start at {@code L * layerStride}. Launch as {@link #rmsNorm}.
     */
    public static void layerNorm(KernelContext context, IntArray step, FloatArray x, FloatArray weights,
                                 FloatArray biases, int layerStride, FloatArray out, int size, float eps) {
        float[] partial = context.allocateFloatLocalArray(LOCAL_SIZE);
        int row = context.groupIdx;
        int lid = context.localIdx;
        if (row < step.get(Step.ROWS)) {
            int offset = row * size;
            float sum = 0f;
            for (int i = lid; i < size; i += LOCAL_SIZE) {
                sum += x.get(offset + i);
            }
            partial[lid] = sum;
            for (int stride = LOCAL_SIZE / 2; stride > 0; stride /= 2) {
                context.localBarrier();
                if (lid < stride) {
                    partial[lid] += partial[lid + stride];
                }
            }
            context.localBarrier();
            float mean = partial[0] / size;
            context.localBarrier();
            float squares = 0f;
            for (int i = lid; i < size; i += LOCAL_SIZE) {
                float c = x.get(offset + i) - mean;
                squares += c * c;
            }
            partial[lid] = squares;
            for (int stride = LOCAL_SIZE / 2; stride > 0; stride /= 2) {
                context.localBarrier();
                if (lid < stride) {
                    partial[lid] += partial[lid + stride];
                }
            }
            context.localBarrier();
            float inv = 1.0f / TornadoMath.sqrt(partial[0] / size + eps);
            int w = step.get(Step.LAYER) * layerStride;
            for (int i = lid; i < size; i += LOCAL_SIZE) {
                out.set(offset + i, (x.get(offset + i) - mean) * inv * weights.get(w + i) + biases.get(w + i));
            }
        }
    }
}
