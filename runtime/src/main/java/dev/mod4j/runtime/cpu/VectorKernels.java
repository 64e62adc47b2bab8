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
        // A fixed lane order (not reduceLanes), so a row's result is the same interpreted or compiled.
        float[] lanes = new float[F.length()];
        acc.intoArray(lanes, 0);
        sumSquares += LaneSums.sum(lanes, 0);
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

    /**
     * {@code a[i] = silu(a[i]) * b[i]}, SwiGLU's gate (silu(x) = x·sigmoid(x)); {@link Exp} in vector lanes, the same
     * bits in the scalar tail and in every JIT tier.
     */
    public static void siluMultiply(float[] a, float[] b, int offset, int size) {
        int i = 0;
        for (int upper = F.loopBound(size); i < upper; i += F.length()) {
            FloatVector g = FloatVector.fromArray(F, a, offset + i);
            FloatVector sigmoidDenominator = Exp.exp(g.neg()).add(1f);
            g.div(sigmoidDenominator).mul(FloatVector.fromArray(F, b, offset + i)).intoArray(a, offset + i);
        }
        for (; i < size; i++) {
            float g = a[offset + i];
            a[offset + i] = g / (1f + Exp.exp(-g)) * b[offset + i];
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
        addBias(x, 0, rows, bias);
    }

    /** Adds {@code bias} to each of {@code rows} rows of length bias.length starting at {@code x[offset]}. */
    public static void addBias(float[] x, int offset, int rows, float[] bias) {
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < bias.length; i++) {
                x[offset + r * bias.length + i] += bias[i];
            }
        }
    }

    /**
     * Adds {@code bias[biasFrom, biasFrom + width)} to each of {@code rows} rows of width {@code width} starting at
     * {@code x[0]}: the bias of one block of output features.
     */
    public static void addBias(float[] x, int rows, float[] bias, int biasFrom, int width) {
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < width; i++) {
                x[r * width + i] += bias[biasFrom + i];
            }
        }
    }

    /** A scratch row for {@link #dot(float[], int, float[], int, int, float[])}: one per thread, reused. */
    public static float[] lanes() {
        return new float[F.length()];
    }

    public static float dot(float[] a, int aOffset, float[] b, int bOffset, int size) {
        return dot(a, aOffset, b, bOffset, size, lanes());
    }

    /**
     * Σ a·b over {@code size} elements. Lanes are summed in a fixed order through {@code lanes} (from {@link #lanes()}),
     * not with reduceLanes, whose order differs between the interpreter and compiled code: a result must not depend
     * on when the JIT got to it.
     */
    public static float dot(float[] a, int aOffset, float[] b, int bOffset, int size, float[] lanes) {
        int i = 0;
        FloatVector acc = FloatVector.zero(F);
        for (int upper = F.loopBound(size); i < upper; i += F.length()) {
            acc = FloatVector.fromArray(F, a, aOffset + i).fma(FloatVector.fromArray(F, b, bOffset + i), acc);
        }
        acc.intoArray(lanes, 0);
        float sum = LaneSums.sum(lanes, 0);
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

    /** PyTorch LayerNorm on one row: {@code (x - mean) / sqrt(var + eps) * w + b}, population variance in double. */
    public static void layerNorm(float[] out, int outOffset, float[] x, int xOffset, float[] weight, float[] bias,
                                 int size, double eps) {
        double sum = 0;
        for (int i = 0; i < size; i++) {
            sum += x[xOffset + i];
        }
        double mean = sum / size;
        double squares = 0;
        for (int i = 0; i < size; i++) {
            double c = x[xOffset + i] - mean;
            squares += c * c;
        }
        double inv = 1.0 / Math.sqrt(squares / size + eps);
        for (int i = 0; i < size; i++) {
            out[outOffset + i] = (float) ((x[xOffset + i] - mean) * inv) * weight[i] + bias[i];
        }
    }

    /** CLIP's quick_gelu: {@code x · sigmoid(1.702 x)}, with {@link Exp} (same bits in lanes and tail). */
    public static void quickGelu(float[] x, int offset, int size) {
        int i = offset;
        for (int upper = offset + F.loopBound(size); i < upper; i += F.length()) {
            FloatVector v = FloatVector.fromArray(F, x, i);
            v.div(Exp.exp(v.mul(-1.702f)).add(1f)).intoArray(x, i);
        }
        for (int end = offset + size; i < end; i++) {
            float v = x[i];
            x[i] = v / (1f + Exp.exp(v * -1.702f));
        }
    }

    /** Exact (erf-based) GELU, {@code 0.5 x (1 + erf(x / √2))}, as torch.nn.GELU() without approximation. */
    public static void gelu(float[] x, int offset, int size) {
        for (int i = offset, end = offset + size; i < end; i++) {
            double v = x[i];
            x[i] = (float) (0.5 * v * (1 + Erf.erf(v / Math.sqrt(2))));
        }
    }

    /**
     * Applies the activation named in a config: the names of {@link dev.mod4j.loaders.config.Activations#SUPPORTED},
     * with transformers' formulas ({@code activations.py}); any other name is an {@link IllegalArgumentException}
     * (configs refuse them when read).
     */
    public static void activation(String name, float[] x, int offset, int size) {
        switch (name) {
            case "gelu", "gelu_python" -> gelu(x, offset, size);
            case "quick_gelu" -> quickGelu(x, offset, size);
            case "silu", "swish" -> {
                for (int i = offset, end = offset + size; i < end; i++) {
                    x[i] = x[i] / (1f + (float) Math.exp(-x[i]));
                }
            }
            case "gelu_pytorch_tanh", "gelu_new", "gelu_accurate" -> {
                for (int i = offset, end = offset + size; i < end; i++) {
                    double v = x[i];
                    x[i] = (float) (0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v))));
                }
            }
            default -> {
                for (int i = offset, end = offset + size; i < end; i++) {
                    x[i] = (float) scalarActivation(name, x[i]);
                }
            }
        }
    }

    /** The rarer activations of ACT2FN, one value at a time (transformers' activations.py formulas). */
    private static double scalarActivation(String name, double v) {
        return switch (name) {
            case "gelu_10" -> Math.clamp(0.5 * v * (1 + Erf.erf(v / Math.sqrt(2))), -10.0, 10.0);
            case "gelu_fast" -> 0.5 * v * (1 + Math.tanh(v * 0.7978845608 * (1 + 0.044715 * v * v)));
            case "laplace" -> 0.5 * (1 + Erf.erf((v - 0.707107) / (0.282095 * Math.sqrt(2))));
            case "leaky_relu" -> v >= 0 ? v : 0.01 * v;
            case "linear" -> v;
            case "mish" -> v * Math.tanh(v > 20 ? v : Math.log1p(Math.exp(v)));
            case "relu" -> Math.max(v, 0);
            case "relu2" -> v > 0 ? v * v : 0;
            case "relu6" -> Math.clamp(v, 0.0, 6.0);
            case "sigmoid" -> 1 / (1 + Math.exp(-v));
            case "tanh" -> Math.tanh(v);
            default -> throw new IllegalArgumentException("unsupported activation '" + name + "'");
        };
    }

    /** {@code a[i] = act(a[i]) * b[i]}: the gated MLP's gate for the config's {@code hidden_act}. */
    public static void activationMultiply(String name, float[] a, float[] b, int offset, int size) {
        if (dev.mod4j.loaders.config.Activations.isSilu(name)) {
            siluMultiply(a, b, offset, size);
            return;
        }
        activation(name, a, offset, size);
        for (int i = offset, end = offset + size; i < end; i++) {
            a[i] *= b[i];
        }
    }
}
