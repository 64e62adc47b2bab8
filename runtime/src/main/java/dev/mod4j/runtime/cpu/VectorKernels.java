package dev.mod4j.runtime.cpu;

import dev.mod4j.runtime.tensor.WeightMatrix;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Element-wise and row-wise float kernels of the decoder (norms, activations, residuals, dot products). */
public final class VectorKernels {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private VectorKernels() {
    }

    /** HF LlamaRMSNorm on one row: {@code w * x / sqrt(mean(x²) + eps)}, the mean accumulated in double. */
    public static void rmsNorm(float[] out, int outOffset, float[] x, int xOffset, float[] weight, int size, double eps) {
        double sumSquares = 0;
        int i = 0;
        FloatVector acc = FloatVector.zero(F);
        for (int upper = F.loopBound(size); i < upper; i += F.length()) {
            FloatVector v = FloatVector.fromArray(F, x, xOffset + i);
            acc = v.fma(v, acc);
        }
        sumSquares += acc.reduceLanes(VectorOperators.ADD);
        for (; i < size; i++) {
            sumSquares += (double) x[xOffset + i] * x[xOffset + i];
        }
        float scale = (float) (1.0 / Math.sqrt(sumSquares / size + eps));
        i = 0;
        for (int upper = F.loopBound(size); i < upper; i += F.length()) {
            FloatVector v = FloatVector.fromArray(F, x, xOffset + i).mul(scale);
            FloatVector.fromArray(F, weight, i).mul(v).intoArray(out, outOffset + i);
        }
        for (; i < size; i++) {
            out[outOffset + i] = weight[i] * (x[xOffset + i] * scale);
        }
    }

    /** {@code a[i] = silu(a[i]) * b[i]}, SwiGLU's gate (silu(x) = x·sigmoid(x)). */
    public static void siluMultiply(float[] a, float[] b, int offset, int size) {
        for (int i = offset, end = offset + size; i < end; i++) {
            float g = a[i];
            a[i] = g / (1f + (float) Math.exp(-g)) * b[i];
        }
    }

    /** {@code x[i] += y[i]} over a range. */
    public static void add(float[] x, float[] y, int offset, int size) {
        int i = 0;
        for (int upper = F.loopBound(size); i < upper; i += F.length()) {
            FloatVector.fromArray(F, x, offset + i).add(FloatVector.fromArray(F, y, offset + i)).intoArray(x, offset + i);
        }
        for (; i < size; i++) {
            x[offset + i] += y[offset + i];
        }
    }

    /** {@code x[i] += scale * y[i]} over a range. */
    public static void addScaled(float[] x, float[] y, float scale, int offset, int size) {
        int i = 0;
        for (int upper = F.loopBound(size); i < upper; i += F.length()) {
            FloatVector.fromArray(F, y, offset + i).mul(scale).add(FloatVector.fromArray(F, x, offset + i))
                    .intoArray(x, offset + i);
        }
        for (; i < size; i++) {
            x[offset + i] += scale * y[offset + i];
        }
    }

    /** Adds {@code bias} to each of {@code rows} rows of width bias.length. */
    public static void addBias(float[] x, int rows, float[] bias) {
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < bias.length; i++) {
                x[r * bias.length + i] += bias[i];
            }
        }
    }

    public static float dot(float[] a, int aOffset, float[] b, int bOffset, int size) {
        int i = 0;
        FloatVector acc = FloatVector.zero(F);
        for (int upper = F.loopBound(size); i < upper; i += F.length()) {
            acc = FloatVector.fromArray(F, a, aOffset + i).fma(FloatVector.fromArray(F, b, bOffset + i), acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < size; i++) {
            sum += a[aOffset + i] * b[bOffset + i];
        }
        return sum;
    }

    /** Widens row {@code row} of a weight matrix (an embedding table) into {@code out}. */
    public static void widenRow(WeightMatrix w, int row, float[] out, int outOffset) {
        for (int c = 0; c < w.inFeatures(); c++) {
            out[outOffset + c] = w.get(row, c);
        }
    }
}
