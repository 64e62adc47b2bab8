package dev.mod4j.runtime.cpu;

import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.runtime.tensor.Linear;
import dev.mod4j.runtime.tensor.Q8_0;
import dev.mod4j.runtime.tensor.WeightMatrix;

import java.lang.foreign.Arena;
import java.util.Objects;

/**
 * {@code out = in · Wᵀ} for a {@link WeightMatrix} W (the {@code nn.Linear} convention): for each of
 * {@code rows} activation rows, {@code out[r][o] = Σ_c in[r][c] · W[o][c]}, accumulated in float32 with
 * F16/BF16 weights widened to float as they are read. Activations and outputs are row-major float arrays.
 *
 * <p>Two regimes, two algorithms:
 * <ul>
 *   <li>few rows (decode): {@link DotProductKernels}, dot products that stream the weights from memory once;</li>
 *   <li>many rows (prefill): {@link PackedPanelGemm}, packed weight panels and a register-blocked micro-kernel.</li>
 * </ul>
 *
 * <p>Results are reproducible: every output's summation order depends only on the shapes (rows, inFeatures) and
 * never on the number of threads, on scheduling, or on the JIT tier. (A row's result can differ in the last bits
 * between a call with fewer than {@link #PACKING_MIN_ROWS} rows and one with more, as the two paths sum in
 * different orders.)
 */
public final class MatmulKernel {

    /** From this many rows on, packing the weights (once per call) pays for itself. */
    public static final int PACKING_MIN_ROWS = 6;

    /** Calls per kernel path in {@link #warmUp}: C2 compiles the micro-kernel after a few hundred. */
    private static final int WARM_UP_CALLS = 100;

    private MatmulKernel() {
    }

    /** {@code out[outOffset + r*outFeatures + o] = Σ_c in[inOffset + r*inFeatures + c] · W[o][c]}, shared pool. */
    public static void multiply(float[] out, int outOffset, float[] in, int inOffset, int rows, WeightMatrix w) {
        multiply(out, outOffset, in, inOffset, rows, w, Parallel.common());
    }

    /** As {@link #multiply(float[], int, float[], int, int, WeightMatrix)}, on the given pool. */
    public static void multiply(float[] out, int outOffset, float[] in, int inOffset, int rows, WeightMatrix w,
                                Parallel parallel) {
        run(out, outOffset, in, inOffset, rows, w, false, parallel);
    }

    /** A {@link Linear} over {@code rows} rows: {@link #multiply}, then the bias (if any) added to each row. */
    public static void linear(float[] out, int outOffset, float[] in, int inOffset, int rows, Linear linear,
                              Parallel parallel) {
        multiply(out, outOffset, in, inOffset, rows, linear.weight(), parallel);
        if (linear.bias() != null) {
            VectorKernels.addBias(out, outOffset, rows, linear.bias());
        }
    }

    /** {@code out[...] += in · Wᵀ}: as {@link #multiply}, adding to what {@code out} holds (e.g. a residual). */
    public static void multiplyAccumulate(float[] out, int outOffset, float[] in, int inOffset, int rows,
                                          WeightMatrix w) {
        multiplyAccumulate(out, outOffset, in, inOffset, rows, w, Parallel.common());
    }

    /** As {@link #multiplyAccumulate(float[], int, float[], int, int, WeightMatrix)}, on the given pool. */
    public static void multiplyAccumulate(float[] out, int outOffset, float[] in, int inOffset, int rows,
                                          WeightMatrix w, Parallel parallel) {
        run(out, outOffset, in, inOffset, rows, w, true, parallel);
    }

    /**
     * The product with the block {@code W[outFrom, outFrom+outCount)[inFrom, inFrom+inCount)} (see
     * {@link PackedPanelGemm#multiplyBlock}); the whole matrix takes the usual path for its row count, a proper block
     * needs at least {@link #PACKING_MIN_ROWS} rows.
     */
    static void multiplyBlock(float[] out, int outOffset, float[] in, int inOffset, int rows, WeightMatrix w,
                              int outFrom, int outCount, int inFrom, int inCount, boolean accumulate,
                              Parallel parallel) {
        if (outFrom == 0 && outCount == w.outFeatures() && inFrom == 0 && inCount == w.inFeatures()) {
            run(out, outOffset, in, inOffset, rows, w, accumulate, parallel);
        } else if (rows >= PACKING_MIN_ROWS) {
            PackedPanelGemm.multiplyBlock(out, outOffset, in, inOffset, rows, w, outFrom, outCount, inFrom, inCount,
                    accumulate, parallel);
        } else {
            throw new IllegalArgumentException("a block of " + w.name() + " needs at least " + PACKING_MIN_ROWS
                    + " rows, got " + rows);
        }
    }

    private static void run(float[] out, int outOffset, float[] in, int inOffset, int rows, WeightMatrix w,
                            boolean accumulate, Parallel parallel) {
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(in, "in");
        Objects.requireNonNull(w, "w");
        Objects.requireNonNull(parallel, "parallel");
        if (rows < 0) {
            throw new IllegalArgumentException("rows must not be negative, got " + rows);
        }
        Objects.checkFromIndexSize(inOffset, saturatedProduct(rows, w.inFeatures()), in.length);
        Objects.checkFromIndexSize(outOffset, saturatedProduct(rows, w.outFeatures()), out.length);
        if (rows == 0) {
            return;
        }
        if (!parallel.workersCanAccess(w.data())) {
            throw new IllegalArgumentException("weight matrix " + w.name()
                    + ": its memory is confined to one thread; allocate or map it in a shared or global arena");
        }
        if (rows < PACKING_MIN_ROWS) {
            DotProductKernels.multiply(out, outOffset, in, inOffset, rows, w, accumulate, parallel);
        } else {
            PackedPanelGemm.multiply(out, outOffset, in, inOffset, rows, w, accumulate, parallel);
        }
    }

    /**
     * Runs every kernel for these dtypes on small inputs, enough times for the JIT to compile them. Until then
     * the Vector API runs interpreted, thousands of times slower: the first 600-row multiply would take
     * seconds. This costs about as long, on the calling thread only, so call it when a model loads, for example
     * on a background thread while the weights are being mapped.
     */
    public static void warmUp(DType... dtypes) {
        // Shapes with every edge (partial panels, k blocks, vector tails, row groups), so that no branch is first
        // taken in a real call: that would deoptimise the compiled kernel and send it back to the interpreter.
        int out = 2 * PackedPanelGemm.PANEL_WIDTH + 9;
        int in = PackedPanelGemm.K_BLOCK + 2 * WeightVectors.VL + 7;
        int rows = Math.max(PACKING_MIN_ROWS, 2 * PackedPanelGemm.MICRO_ROWS) + 1;
        try (Arena arena = Arena.ofShared(); Parallel callingThread = new Parallel(1)) {
            float[] y = new float[rows * out];
            for (DType dtype : dtypes) {
                // Q8_0 rows come in whole blocks.
                int k = dtype == DType.Q8_0 ? (in + Q8_0.BLOCK - 1) / Q8_0.BLOCK * Q8_0.BLOCK : in;
                WeightMatrix w = WeightMatrix.ofFloats("warm-up", new float[out * k], dtype, out, k, arena);
                float[] x = new float[rows * k];
                for (int i = 0; i < WARM_UP_CALLS; i++) {
                    multiply(y, 0, x, 0, rows, w, callingThread);
                    multiplyAccumulate(y, 0, x, 0, rows, w, callingThread);
                    multiply(y, 0, x, 0, 1, w, callingThread);
                    multiplyAccumulate(y, 0, x, 0, 1, w, callingThread);
                    multiply(y, 0, x, 0, PACKING_MIN_ROWS - 1, w, callingThread);
                    multiplyAccumulate(y, 0, x, 0, PACKING_MIN_ROWS - 1, w, callingThread);
                }
            }
        }
    }

    private static int saturatedProduct(int a, int b) {
        long product = (long) a * b;
        return product > Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) product;
    }
}
