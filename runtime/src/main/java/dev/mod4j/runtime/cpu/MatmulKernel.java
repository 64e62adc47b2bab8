package dev.mod4j.runtime.cpu;

import dev.mod4j.runtime.tensor.WeightMatrix;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * {@code out = in · Wᵀ} for a {@link WeightMatrix} W (the {@code nn.Linear} convention): for each of
 * {@code rows} activation rows, {@code out[r][o] = Σ_c in[r][c] · W[o][c]}, accumulated in float32 with
 * F16/BF16 weights widened as they are read.
 *
 * <p>Two regimes, two algorithms:
 * <ul>
 *   <li>few rows (decode): each output is a dot product of a weight row with the activation row, vectorised
 *       along inFeatures, so the weights stream from memory exactly once, split by output rows over threads;</li>
 *   <li>many rows (prefill): weights are packed (and widened) per block into panels of {@link #PANEL_WIDTH}
 *       output features, and a register-blocked micro-kernel multiplies {@link #MICRO_ROWS} activation rows by
 *       one panel, so each weight vector loaded is reused {@link #MICRO_ROWS} times; tiles of
 *       (row block × output block) are spread over threads.</li>
 * </ul>
 *
 * <p>Every output's summation order depends only on the shapes (rows, inFeatures) and never on the number
 * of threads or on which thread ran a tile, so results are reproducible across thread counts.
 */
public final class MatmulKernel {

    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int VL = F.length();
    private static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED;
    /** Shorts in half the preferred width: one load of them widens to one float vector. */
    private static final VectorSpecies<Short> HALF_SHORTS =
            ShortVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(F.vectorBitSize() / 2));

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfShort U16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);

    /** Float vectors per packed panel: 4 × 6 rows = 24 accumulators, leaving registers for 4 B vectors + 1 A. */
    static final int PANEL_VECTORS = 4;
    /** Output features per packed panel. */
    static final int PANEL_WIDTH = PANEL_VECTORS * VL;
    /** Activation rows per micro-kernel call. */
    static final int MICRO_ROWS = 6;
    /** inFeatures per packed block: a micro-kernel's A rows (6 × 1 KiB) stay in L1 across a block's panels. */
    static final int K_BLOCK = 256;
    /** Panels per packed block at most: 8 × 256 × 64 floats = 512 KiB, half of a Zen 5 / recent Intel L2. */
    static final int MAX_PANELS_PER_BLOCK = 8;
    /** Below this many rows, streaming the weights once per row beats packing them. */
    static final int PACKING_MIN_ROWS = 4;
    /** Dot-product work items per thread, so a busy core can hand work to the other. */
    private static final int DOT_ITEMS_PER_THREAD = 4;

    private static final ThreadLocal<float[]> PACKED_BLOCK =
            ThreadLocal.withInitial(() -> new float[MAX_PANELS_PER_BLOCK * PANEL_WIDTH * K_BLOCK]);

    private MatmulKernel() {
    }

    /** {@code out[outOffset + r*out + o] = Σ_c in[inOffset + r*in + c] · W[o][c]} on the shared pool. */
    public static void multiply(float[] out, int outOffset, float[] in, int inOffset, int rows, WeightMatrix w) {
        multiply(out, outOffset, in, inOffset, rows, w, Parallel.common());
    }

    /** As {@link #multiply(float[], int, float[], int, int, WeightMatrix)}, on the given pool. */
    public static void multiply(float[] out, int outOffset, float[] in, int inOffset, int rows, WeightMatrix w,
                                Parallel parallel) {
        run(out, outOffset, in, inOffset, rows, w, false, parallel);
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

    private static void run(float[] out, int outOffset, float[] in, int inOffset, int rows, WeightMatrix w,
                            boolean accumulate, Parallel parallel) {
        Objects.requireNonNull(w, "w");
        Objects.requireNonNull(parallel, "parallel");
        if (rows < 0) {
            throw new IllegalArgumentException("rows must not be negative, got " + rows);
        }
        Objects.checkFromIndexSize(inOffset, (long) rows * w.inFeatures() > Integer.MAX_VALUE
                ? Integer.MAX_VALUE : rows * w.inFeatures(), in.length);
        Objects.checkFromIndexSize(outOffset, (long) rows * w.outFeatures() > Integer.MAX_VALUE
                ? Integer.MAX_VALUE : rows * w.outFeatures(), out.length);
        if (rows == 0) {
            return;
        }
        if (!parallel.workersCanAccess(w.data())) {
            throw new IllegalArgumentException("weight matrix " + w.name()
                    + ": its memory is confined to one thread; allocate or map it in a shared or global arena");
        }
        if (rows < PACKING_MIN_ROWS) {
            runDot(out, outOffset, in, inOffset, rows, w, accumulate, parallel);
        } else {
            runPacked(out, outOffset, in, inOffset, rows, w, accumulate, parallel);
        }
    }

    // ---------------------------------------------------------------------------------------------------
    // Few rows: dot products streaming each weight row once per activation row.

    private static void runDot(float[] out, int outOffset, float[] in, int inOffset, int rows, WeightMatrix w,
                               boolean accumulate, Parallel parallel) {
        int n = w.outFeatures();
        int targetItems = parallel.threads() * DOT_ITEMS_PER_THREAD;
        // Blocks of whole 4-output groups, so every output is computed by the same code whatever the split.
        int block = Math.max(4, roundUp(ceilDiv(n, targetItems), 4));
        int items = ceilDiv(n, block);
        parallel.forEach(items, item -> {
            int from = item * block;
            int to = Math.min(n, from + block);
            for (int r = 0; r < rows; r++) {
                dotRows(out, outOffset + r * n, in, inOffset + r * w.inFeatures(), w, from, to, accumulate);
            }
        });
    }

    /** out[o] (+)= dot(W[o], x) for o in [from, to), four weight rows at a time. */
    private static void dotRows(float[] out, int outOff, float[] x, int xOff, WeightMatrix w, int from, int to,
                                boolean accumulate) {
        MemorySegment data = w.data();
        int k = w.inFeatures();
        long stride = w.rowByteStride();
        int o = from;
        switch (w.dtype()) {
            case F32 -> {
                for (; o + 4 <= to; o += 4) {
                    dot4F32(out, outOff + o, x, xOff, data, o * stride, stride, k, accumulate);
                }
                for (; o < to; o++) {
                    dot1F32(out, outOff + o, x, xOff, data, o * stride, k, accumulate);
                }
            }
            case BF16 -> {
                for (; o + 4 <= to; o += 4) {
                    dot4BF16(out, outOff + o, x, xOff, data, o * stride, stride, k, accumulate);
                }
                for (; o < to; o++) {
                    dot1BF16(out, outOff + o, x, xOff, data, o * stride, k, accumulate);
                }
            }
            case F16 -> {
                for (; o + 4 <= to; o += 4) {
                    dot4F16(out, outOff + o, x, xOff, data, o * stride, stride, k, accumulate);
                }
                for (; o < to; o++) {
                    dot1F16(out, outOff + o, x, xOff, data, o * stride, k, accumulate);
                }
            }
            default -> throw new AssertionError(w.dtype());
        }
    }

    private static void dot4F32(float[] out, int o, float[] x, int xOff, MemorySegment w, long row0, long stride,
                                int k, boolean accumulate) {
        long row1 = row0 + stride, row2 = row1 + stride, row3 = row2 + stride;
        FloatVector s0 = FloatVector.zero(F), s1 = FloatVector.zero(F), s2 = FloatVector.zero(F), s3 = FloatVector.zero(F);
        int c = 0;
        for (int bound = F.loopBound(k); c < bound; c += VL) {
            FloatVector xv = FloatVector.fromArray(F, x, xOff + c);
            long byteOff = (long) c * Float.BYTES;
            s0 = FloatVector.fromMemorySegment(F, w, row0 + byteOff, LE).fma(xv, s0);
            s1 = FloatVector.fromMemorySegment(F, w, row1 + byteOff, LE).fma(xv, s1);
            s2 = FloatVector.fromMemorySegment(F, w, row2 + byteOff, LE).fma(xv, s2);
            s3 = FloatVector.fromMemorySegment(F, w, row3 + byteOff, LE).fma(xv, s3);
        }
        float t0 = LaneSums.sum(s0), t1 = LaneSums.sum(s1);
        float t2 = LaneSums.sum(s2), t3 = LaneSums.sum(s3);
        for (; c < k; c++) {
            float xc = x[xOff + c];
            long byteOff = (long) c * Float.BYTES;
            t0 += xc * w.get(F32_LE, row0 + byteOff);
            t1 += xc * w.get(F32_LE, row1 + byteOff);
            t2 += xc * w.get(F32_LE, row2 + byteOff);
            t3 += xc * w.get(F32_LE, row3 + byteOff);
        }
        store4(out, o, accumulate, t0, t1, t2, t3);
    }

    private static void dot1F32(float[] out, int o, float[] x, int xOff, MemorySegment w, long row, int k,
                                boolean accumulate) {
        FloatVector s = FloatVector.zero(F);
        int c = 0;
        for (int bound = F.loopBound(k); c < bound; c += VL) {
            s = FloatVector.fromMemorySegment(F, w, row + (long) c * Float.BYTES, LE)
                    .fma(FloatVector.fromArray(F, x, xOff + c), s);
        }
        float t = LaneSums.sum(s);
        for (; c < k; c++) {
            t += x[xOff + c] * w.get(F32_LE, row + (long) c * Float.BYTES);
        }
        out[o] = accumulate ? out[o] + t : t;
    }

    private static void dot4BF16(float[] out, int o, float[] x, int xOff, MemorySegment w, long row0, long stride,
                                 int k, boolean accumulate) {
        long row1 = row0 + stride, row2 = row1 + stride, row3 = row2 + stride;
        FloatVector s0 = FloatVector.zero(F), s1 = FloatVector.zero(F), s2 = FloatVector.zero(F), s3 = FloatVector.zero(F);
        int c = 0;
        for (int bound = F.loopBound(k); c < bound; c += VL) {
            FloatVector xv = FloatVector.fromArray(F, x, xOff + c);
            long byteOff = (long) c * 2;
            s0 = bf16(w, row0 + byteOff).fma(xv, s0);
            s1 = bf16(w, row1 + byteOff).fma(xv, s1);
            s2 = bf16(w, row2 + byteOff).fma(xv, s2);
            s3 = bf16(w, row3 + byteOff).fma(xv, s3);
        }
        float t0 = LaneSums.sum(s0), t1 = LaneSums.sum(s1);
        float t2 = LaneSums.sum(s2), t3 = LaneSums.sum(s3);
        for (; c < k; c++) {
            float xc = x[xOff + c];
            long byteOff = (long) c * 2;
            t0 += xc * bf16(w.get(U16_LE, row0 + byteOff));
            t1 += xc * bf16(w.get(U16_LE, row1 + byteOff));
            t2 += xc * bf16(w.get(U16_LE, row2 + byteOff));
            t3 += xc * bf16(w.get(U16_LE, row3 + byteOff));
        }
        store4(out, o, accumulate, t0, t1, t2, t3);
    }

    private static void dot1BF16(float[] out, int o, float[] x, int xOff, MemorySegment w, long row, int k,
                                 boolean accumulate) {
        FloatVector s = FloatVector.zero(F);
        int c = 0;
        for (int bound = F.loopBound(k); c < bound; c += VL) {
            s = bf16(w, row + (long) c * 2).fma(FloatVector.fromArray(F, x, xOff + c), s);
        }
        float t = LaneSums.sum(s);
        for (; c < k; c++) {
            t += x[xOff + c] * bf16(w.get(U16_LE, row + (long) c * 2));
        }
        out[o] = accumulate ? out[o] + t : t;
    }

    private static void dot4F16(float[] out, int o, float[] x, int xOff, MemorySegment w, long row0, long stride,
                                int k, boolean accumulate) {
        long row1 = row0 + stride, row2 = row1 + stride, row3 = row2 + stride;
        FloatVector s0 = FloatVector.zero(F), s1 = FloatVector.zero(F), s2 = FloatVector.zero(F), s3 = FloatVector.zero(F);
        int c = 0;
        for (int bound = F.loopBound(k); c < bound; c += VL) {
            FloatVector xv = FloatVector.fromArray(F, x, xOff + c);
            long byteOff = (long) c * 2;
            s0 = f16(w, row0 + byteOff).fma(xv, s0);
            s1 = f16(w, row1 + byteOff).fma(xv, s1);
            s2 = f16(w, row2 + byteOff).fma(xv, s2);
            s3 = f16(w, row3 + byteOff).fma(xv, s3);
        }
        float t0 = LaneSums.sum(s0), t1 = LaneSums.sum(s1);
        float t2 = LaneSums.sum(s2), t3 = LaneSums.sum(s3);
        for (; c < k; c++) {
            float xc = x[xOff + c];
            long byteOff = (long) c * 2;
            t0 += xc * Float.float16ToFloat(w.get(U16_LE, row0 + byteOff));
            t1 += xc * Float.float16ToFloat(w.get(U16_LE, row1 + byteOff));
            t2 += xc * Float.float16ToFloat(w.get(U16_LE, row2 + byteOff));
            t3 += xc * Float.float16ToFloat(w.get(U16_LE, row3 + byteOff));
        }
        store4(out, o, accumulate, t0, t1, t2, t3);
    }

    private static void dot1F16(float[] out, int o, float[] x, int xOff, MemorySegment w, long row, int k,
                                boolean accumulate) {
        FloatVector s = FloatVector.zero(F);
        int c = 0;
        for (int bound = F.loopBound(k); c < bound; c += VL) {
            s = f16(w, row + (long) c * 2).fma(FloatVector.fromArray(F, x, xOff + c), s);
        }
        float t = LaneSums.sum(s);
        for (; c < k; c++) {
            t += x[xOff + c] * Float.float16ToFloat(w.get(U16_LE, row + (long) c * 2));
        }
        out[o] = accumulate ? out[o] + t : t;
    }

    private static void store4(float[] out, int o, boolean accumulate, float t0, float t1, float t2, float t3) {
        if (accumulate) {
            out[o] += t0;
            out[o + 1] += t1;
            out[o + 2] += t2;
            out[o + 3] += t3;
        } else {
            out[o] = t0;
            out[o + 1] = t1;
            out[o + 2] = t2;
            out[o + 3] = t3;
        }
    }

    // ---------------------------------------------------------------------------------------------------
    // Many rows: packed weight panels and a register-blocked micro-kernel.

    private static void runPacked(float[] out, int outOffset, float[] in, int inOffset, int rows, WeightMatrix w,
                                  boolean accumulate, Parallel parallel) {
        int n = w.outFeatures();
        int k = w.inFeatures();
        int threads = parallel.threads();
        int panels = ceilDiv(n, PANEL_WIDTH);
        // Output blocks: as large as the packed block allows, but at least one per thread, in a multiple of
        // the thread count when that keeps blocks full, so that no core idles at the end.
        int nBlocks = Math.max(ceilDiv(panels, MAX_PANELS_PER_BLOCK), Math.min(panels, threads));
        if (nBlocks % threads != 0 && roundUp(nBlocks, threads) <= panels) {
            nBlocks = roundUp(nBlocks, threads);
        }
        int panelsPerBlock = ceilDiv(panels, nBlocks);
        nBlocks = ceilDiv(panels, panelsPerBlock);
        // Too few output blocks for the threads (small outFeatures): split the rows too, at the cost of
        // packing a block once per row block.
        int microRowGroups = ceilDiv(rows, MICRO_ROWS);
        int mBlocks = Math.min(microRowGroups, ceilDiv(threads, nBlocks));
        int rowsPerBlock = ceilDiv(microRowGroups, mBlocks) * MICRO_ROWS;
        mBlocks = ceilDiv(rows, rowsPerBlock);
        int blockCols = panelsPerBlock * PANEL_WIDTH;
        int finalMBlocks = mBlocks;
        parallel.forEach(nBlocks * mBlocks, item -> {
            int nb = item / finalMBlocks;
            int mb = item % finalMBlocks;
            int col0 = nb * blockCols;
            int cols = Math.min(n - col0, blockCols);
            int row0 = mb * rowsPerBlock;
            int blockRows = Math.min(rows - row0, rowsPerBlock);
            multiplyTile(out, outOffset + row0 * n + col0, n, in, inOffset + row0 * k, k, blockRows, w, col0, cols,
                    accumulate);
        });
    }

    /** One tile: {@code rows} activation rows × output features [col0, col0 + cols), over all inFeatures. */
    private static void multiplyTile(float[] c, int cOff, int ldc, float[] a, int aOff, int lda, int rows,
                                     WeightMatrix w, int col0, int cols, boolean accumulate) {
        float[] packed = PACKED_BLOCK.get();
        int k = w.inFeatures();
        for (int k0 = 0; k0 < k; k0 += K_BLOCK) {
            int kc = Math.min(K_BLOCK, k - k0);
            packBlock(w, col0, cols, k0, kc, packed);
            boolean addToC = accumulate || k0 > 0;
            for (int r = 0; r < rows; r += MICRO_ROWS) {
                int microRows = Math.min(MICRO_ROWS, rows - r);
                for (int p = 0, j = 0; j < cols; p++, j += PANEL_WIDTH) {
                    microKernel(a, aOff + r * lda + k0, lda, microRows, packed, p * kc * PANEL_WIDTH, kc,
                            c, cOff + r * ldc + j, ldc, Math.min(PANEL_WIDTH, cols - j), addToC);
                }
            }
        }
    }

    /**
     * C[0..rows)[0..cols) (+)= A·B for one {@value #MICRO_ROWS}×{@value #PANEL_VECTORS}-vector tile over kc steps:
     * A is {@code rows} activation rows at stride {@code lda} (rows past {@code rows} re-read the last one and are
     * not stored), B a packed panel {@code [kc][PANEL_WIDTH]}. Each output's sum runs over k in order, so
     * the result does not depend on how tiles are scheduled.
     */
    private static void microKernel(float[] a, int aOff, int lda, int rows, float[] b, int bOff, int kc,
                                    float[] c, int cOff, int ldc, int cols, boolean addToC) {
        int a0 = aOff + Math.min(0, rows - 1) * lda;
        int a1 = aOff + Math.min(1, rows - 1) * lda;
        int a2 = aOff + Math.min(2, rows - 1) * lda;
        int a3 = aOff + Math.min(3, rows - 1) * lda;
        int a4 = aOff + Math.min(4, rows - 1) * lda;
        int a5 = aOff + Math.min(5, rows - 1) * lda;
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F), c02 = FloatVector.zero(F), c03 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F), c12 = FloatVector.zero(F), c13 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F), c22 = FloatVector.zero(F), c23 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F), c32 = FloatVector.zero(F), c33 = FloatVector.zero(F);
        FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F), c42 = FloatVector.zero(F), c43 = FloatVector.zero(F);
        FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F), c52 = FloatVector.zero(F), c53 = FloatVector.zero(F);
        for (int k = 0, bk = bOff; k < kc; k++, bk += PANEL_WIDTH) {
            FloatVector b0 = FloatVector.fromArray(F, b, bk + 0 * VL);
            FloatVector b1 = FloatVector.fromArray(F, b, bk + 1 * VL);
            FloatVector b2 = FloatVector.fromArray(F, b, bk + 2 * VL);
            FloatVector b3 = FloatVector.fromArray(F, b, bk + 3 * VL);
            FloatVector x0 = FloatVector.broadcast(F, a[a0 + k]);
            c00 = x0.fma(b0, c00); c01 = x0.fma(b1, c01); c02 = x0.fma(b2, c02); c03 = x0.fma(b3, c03);
            FloatVector x1 = FloatVector.broadcast(F, a[a1 + k]);
            c10 = x1.fma(b0, c10); c11 = x1.fma(b1, c11); c12 = x1.fma(b2, c12); c13 = x1.fma(b3, c13);
            FloatVector x2 = FloatVector.broadcast(F, a[a2 + k]);
            c20 = x2.fma(b0, c20); c21 = x2.fma(b1, c21); c22 = x2.fma(b2, c22); c23 = x2.fma(b3, c23);
            FloatVector x3 = FloatVector.broadcast(F, a[a3 + k]);
            c30 = x3.fma(b0, c30); c31 = x3.fma(b1, c31); c32 = x3.fma(b2, c32); c33 = x3.fma(b3, c33);
            FloatVector x4 = FloatVector.broadcast(F, a[a4 + k]);
            c40 = x4.fma(b0, c40); c41 = x4.fma(b1, c41); c42 = x4.fma(b2, c42); c43 = x4.fma(b3, c43);
            FloatVector x5 = FloatVector.broadcast(F, a[a5 + k]);
            c50 = x5.fma(b0, c50); c51 = x5.fma(b1, c51); c52 = x5.fma(b2, c52); c53 = x5.fma(b3, c53);
        }
        storeRow(c, cOff + 0 * ldc, cols, addToC, c00, c01, c02, c03);
        if (rows > 1) storeRow(c, cOff + 1 * ldc, cols, addToC, c10, c11, c12, c13);
        if (rows > 2) storeRow(c, cOff + 2 * ldc, cols, addToC, c20, c21, c22, c23);
        if (rows > 3) storeRow(c, cOff + 3 * ldc, cols, addToC, c30, c31, c32, c33);
        if (rows > 4) storeRow(c, cOff + 4 * ldc, cols, addToC, c40, c41, c42, c43);
        if (rows > 5) storeRow(c, cOff + 5 * ldc, cols, addToC, c50, c51, c52, c53);
    }


    /** Writes (or adds) one micro-tile row of up to {@link #PANEL_WIDTH} columns. */
    private static void storeRow(float[] c, int off, int cols, boolean addToC,
                                 FloatVector v0, FloatVector v1, FloatVector v2, FloatVector v3) {
        if (cols == PANEL_WIDTH) {
            if (addToC) {
                v0 = v0.add(FloatVector.fromArray(F, c, off));
                v1 = v1.add(FloatVector.fromArray(F, c, off + VL));
                v2 = v2.add(FloatVector.fromArray(F, c, off + 2 * VL));
                v3 = v3.add(FloatVector.fromArray(F, c, off + 3 * VL));
            }
            v0.intoArray(c, off);
            v1.intoArray(c, off + VL);
            v2.intoArray(c, off + 2 * VL);
            v3.intoArray(c, off + 3 * VL);
        } else {
            storePartial(c, off, cols, addToC, v0);
            storePartial(c, off + VL, cols - VL, addToC, v1);
            storePartial(c, off + 2 * VL, cols - 2 * VL, addToC, v2);
            storePartial(c, off + 3 * VL, cols - 3 * VL, addToC, v3);
        }
    }

    private static void storePartial(float[] c, int off, int cols, boolean addToC, FloatVector v) {
        if (cols <= 0) {
            return;
        }
        VectorMask<Float> m = F.indexInRange(0, cols);
        if (addToC) {
            v = v.add(FloatVector.fromArray(F, c, off, m));
        }
        v.intoArray(c, off, m);
    }

    /**
     * Packs W[col0 .. col0+cols)[k0 .. k0+kc) widened to float into panels {@code [panel][k][PANEL_WIDTH]},
     * zero-filling the columns past {@code cols} in the last panel.
     */
    static void packBlock(WeightMatrix w, int col0, int cols, int k0, int kc, float[] packed) {
        MemorySegment data = w.data();
        long stride = w.rowByteStride();
        int elementBytes = w.dtype().byteSize();
        for (int p = 0, j0 = 0; j0 < cols; p++, j0 += PANEL_WIDTH) {
            int base = p * kc * PANEL_WIDTH;
            int width = Math.min(PANEL_WIDTH, cols - j0);
            for (int j = 0; j < PANEL_WIDTH; j++) {
                int dst = base + j;
                if (j >= width) {
                    for (int kk = 0; kk < kc; kk++, dst += PANEL_WIDTH) {
                        packed[dst] = 0f;
                    }
                    continue;
                }
                long src = (col0 + j0 + j) * stride + (long) k0 * elementBytes;
                switch (w.dtype()) {
                    case F32 -> {
                        for (int kk = 0; kk < kc; kk++, dst += PANEL_WIDTH, src += 4) {
                            packed[dst] = data.get(F32_LE, src);
                        }
                    }
                    case BF16 -> {
                        for (int kk = 0; kk < kc; kk++, dst += PANEL_WIDTH, src += 2) {
                            packed[dst] = bf16(data.get(U16_LE, src));
                        }
                    }
                    case F16 -> {
                        for (int kk = 0; kk < kc; kk++, dst += PANEL_WIDTH, src += 2) {
                            packed[dst] = Float.float16ToFloat(data.get(U16_LE, src));
                        }
                    }
                    default -> throw new AssertionError(w.dtype());
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------
    // Widening.

    private static float bf16(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** VL BF16 values at {@code offset} as floats: BF16 is the top half of a float's bits. */
    static FloatVector bf16(MemorySegment w, long offset) {
        IntVector ints = (IntVector) ShortVector.fromMemorySegment(HALF_SHORTS, w, offset, LE)
                .convertShape(VectorOperators.S2I, INTS, 0);
        return ints.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /**
     * VL F16 values at {@code offset} as floats, exactly (subnormals, infinities and NaNs included).
     * JDK 25's Vector API has no lane-wise half-float conversion, so this rebiases the exponent with a
     * multiply: moving the 15 exponent+mantissa bits to a float's position and scaling by 2^112 is exact for
     * normal and subnormal halves; the all-ones exponent (inf/NaN) is patched with a blend.
     */
    static FloatVector f16(MemorySegment w, long offset) {
        IntVector bits = ((IntVector) ShortVector.fromMemorySegment(HALF_SHORTS, w, offset, LE)
                .convertShape(VectorOperators.S2I, INTS, 0)).lanewise(VectorOperators.LSHL, 16);
        IntVector magnitude = bits.lanewise(VectorOperators.AND, 0x7FFF_0000).lanewise(VectorOperators.LSHR, 3);
        IntVector finite = magnitude.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
        VectorMask<Integer> infOrNaN = magnitude.compare(VectorOperators.GE, 0x0F80_0000);
        IntVector result = finite.blend(magnitude.lanewise(VectorOperators.OR, 0x7F80_0000), infOrNaN);
        return result.lanewise(VectorOperators.OR, bits.lanewise(VectorOperators.AND, 0x8000_0000))
                .reinterpretAsFloats();
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    private static int roundUp(int a, int b) {
        return ceilDiv(a, b) * b;
    }
}
