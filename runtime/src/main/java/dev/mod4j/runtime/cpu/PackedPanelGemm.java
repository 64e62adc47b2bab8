package dev.mod4j.runtime.cpu;

import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.runtime.tensor.WeightMatrix;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * {@code out = in · Wᵀ} for many activation rows (prefill): weights are packed, widened to float, into panels of
 * {@link #PANEL_WIDTH} output features ({@code [k][PANEL_WIDTH]}, so that one vector load gives VL outputs' weights
 * for one k), and a register-blocked micro-kernel multiplies {@link #MICRO_ROWS} activation rows by a panel:
 * each weight vector loaded feeds {@link #MICRO_ROWS} FMAs, each broadcast activation {@link #PANEL_VECTORS}.
 *
 * <p>Blocking: a work item is one block of output features (× optionally a block of rows); it walks inFeatures in
 * blocks of {@link #K_BLOCK}, packs that block of weights (a few hundred KiB, L2-resident) and sweeps its rows
 * through it. Every output's sum runs over k in order, block after block, whatever the item split, so results do
 * not depend on the thread count.
 */
final class PackedPanelGemm {

    private static final VectorSpecies<Float> F = WeightVectors.F;
    private static final int VL = WeightVectors.VL;

    /** Float vectors per packed panel: 4 × 6 rows = 24 accumulators, leaving registers for 4 B vectors + 1 A. */
    static final int PANEL_VECTORS = 4;
    /** Output features per packed panel. */
    static final int PANEL_WIDTH = PANEL_VECTORS * VL;
    /** Activation rows per micro-kernel call. */
    static final int MICRO_ROWS = 6;
    /** inFeatures per packed block: a micro-kernel's A rows (6 × 1 KiB) stay in L1 across a block's panels. */
    static final int K_BLOCK = 256;
    /** Panels per packed block at most: 4 × 256 × 64 floats = 256 KiB, a quarter of a Zen 5 L2. */
    static final int MAX_PANELS_PER_BLOCK = 4;

    private static final ThreadLocal<float[]> PACKED_BLOCK =
            ThreadLocal.withInitial(() -> new float[MAX_PANELS_PER_BLOCK * PANEL_WIDTH * K_BLOCK]);

    /** Rows and columns of the register transpose used in packing. */
    static final int TRANSPOSE = TileTranspose.SIZE;
    private static final ThreadLocal<float[]> ROW_SCRATCH =
            ThreadLocal.withInitial(() -> new float[TRANSPOSE * K_BLOCK]);
    private static final ThreadLocal<float[]> EDGE_TILE =
            ThreadLocal.withInitial(() -> new float[MICRO_ROWS * PANEL_WIDTH]);

    private PackedPanelGemm() {
    }

    static void multiply(float[] out, int outOffset, float[] in, int inOffset, int rows, WeightMatrix w,
                         boolean accumulate, Parallel parallel) {
        multiplyBlock(out, outOffset, in, inOffset, rows, w, 0, w.outFeatures(), 0, w.inFeatures(), accumulate,
                parallel);
    }

    /**
     * {@code out (+)= in · W[outFrom, outFrom+outCount)[inFrom, inFrom+inCount)ᵀ}: the product with one block of
     * W, {@code in} rows holding inCount values and {@code out} rows outCount. Each output's sum runs over the
     * block's k in {@link #K_BLOCK} steps from {@code inFrom}; so for inFrom a multiple of K_BLOCK, adding the
     * blocks of a split k range one after the other (accumulate from the second on) gives the unsplit product
     * bit for bit.
     */
    static void multiplyBlock(float[] out, int outOffset, float[] in, int inOffset, int rows, WeightMatrix w,
                              int outFrom, int outCount, int inFrom, int inCount, boolean accumulate,
                              Parallel parallel) {
        int n = outCount;
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
            multiplyTile(out, outOffset + row0 * n + col0, n, in, inOffset + row0 * inCount, inCount, blockRows, w,
                    outFrom + col0, cols, inFrom, inCount, accumulate);
        });
    }

    /**
     * One tile: {@code rows} activation rows × weight rows [wRow0, wRow0 + cols), over inFeatures [inFrom,
     * inFrom + inCount), activation row r's value for k at {@code a[aOff + r * lda + k - inFrom]}.
     */
    private static void multiplyTile(float[] c, int cOff, int ldc, float[] a, int aOff, int lda, int rows,
                                     WeightMatrix w, int wRow0, int cols, int inFrom, int inCount,
                                     boolean accumulate) {
        float[] packed = PACKED_BLOCK.get();
        float[] edgeTile = EDGE_TILE.get();
        float[] rowScratch = ROW_SCRATCH.get();
        for (int k0 = 0; k0 < inCount; k0 += K_BLOCK) {
            int kc = Math.min(K_BLOCK, inCount - k0);
            packBlock(w, wRow0, cols, inFrom + k0, kc, packed, rowScratch);
            boolean addToC = accumulate || k0 > 0;
            for (int r = 0; r < rows; r += MICRO_ROWS) {
                for (int p = 0, j = 0; j < cols; p++, j += PANEL_WIDTH) {
                    microTile(c, cOff, ldc, a, aOff, lda, rows, cols, packed, kc, k0, addToC, edgeTile, r, p, j);
                }
            }
        }
    }

    /** The micro-tile at rows [r, r + 6) and panel p (columns [j, j + PANEL_WIDTH)) of a tile, edges included. */
    private static void microTile(float[] c, int cOff, int ldc, float[] a, int aOff, int lda, int rows, int cols,
                                  float[] packed, int kc, int k0, boolean addToC, float[] edgeTile,
                                  int r, int p, int j) {
        int microRows = Math.min(MICRO_ROWS, rows - r);
        int width = Math.min(PANEL_WIDTH, cols - j);
        int panel = p * kc * PANEL_WIDTH;
        if (microRows == MICRO_ROWS && width == PANEL_WIDTH) {
            microKernel(a, aOff + r * lda + k0, lda, microRows, packed, panel, kc, c, cOff + r * ldc + j, ldc, addToC);
        } else {
            microKernel(a, aOff + r * lda + k0, lda, microRows, packed, panel, kc, edgeTile, 0, PANEL_WIDTH, false);
            mergeEdgeTile(edgeTile, c, cOff + r * ldc + j, ldc, microRows, width, addToC);
        }
    }

    /**
     * C[0..6)[0..PANEL_WIDTH) (+)= A·B for one micro-tile over kc steps: A is activation rows at stride
     * {@code lda} (rows past {@code rows} re-read the last one, and the caller ignores their results), B a
     * packed panel {@code [kc][PANEL_WIDTH]}. Each output is a sum over k in order, so the result does not
     * depend on how tiles are scheduled. Stores are full and unmasked: a masked tail path in the same method
     * makes C2 box the accumulators and runs 15x slower, so edge tiles go through a scratch tile instead.
     */
    static void microKernel(float[] a, int aOff, int lda, int rows, float[] b, int bOff, int kc,
                            float[] c, int cOff, int ldc, boolean addToC) {
        int a0 = aOff;
        int a1 = aOff + Math.min(1, rows - 1) * lda;
        int a2 = aOff + Math.min(2, rows - 1) * lda;
        int a3 = aOff + Math.min(3, rows - 1) * lda;
        int a4 = aOff + Math.min(4, rows - 1) * lda;
        int a5 = aOff + Math.min(5, rows - 1) * lda;
        FloatVector zero = FloatVector.zero(F);
        FloatVector c00 = zero, c01 = zero, c02 = zero, c03 = zero;
        FloatVector c10 = zero, c11 = zero, c12 = zero, c13 = zero;
        FloatVector c20 = zero, c21 = zero, c22 = zero, c23 = zero;
        FloatVector c30 = zero, c31 = zero, c32 = zero, c33 = zero;
        FloatVector c40 = zero, c41 = zero, c42 = zero, c43 = zero;
        FloatVector c50 = zero, c51 = zero, c52 = zero, c53 = zero;
        for (int k = 0; k < kc; k++) {
            int bk = bOff + k * PANEL_WIDTH;
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
        if (addToC) {
            c00 = c00.add(FloatVector.fromArray(F, c, cOff + 0 * ldc + 0 * VL));
            c01 = c01.add(FloatVector.fromArray(F, c, cOff + 0 * ldc + 1 * VL));
            c02 = c02.add(FloatVector.fromArray(F, c, cOff + 0 * ldc + 2 * VL));
            c03 = c03.add(FloatVector.fromArray(F, c, cOff + 0 * ldc + 3 * VL));
            c10 = c10.add(FloatVector.fromArray(F, c, cOff + 1 * ldc + 0 * VL));
            c11 = c11.add(FloatVector.fromArray(F, c, cOff + 1 * ldc + 1 * VL));
            c12 = c12.add(FloatVector.fromArray(F, c, cOff + 1 * ldc + 2 * VL));
            c13 = c13.add(FloatVector.fromArray(F, c, cOff + 1 * ldc + 3 * VL));
            c20 = c20.add(FloatVector.fromArray(F, c, cOff + 2 * ldc + 0 * VL));
            c21 = c21.add(FloatVector.fromArray(F, c, cOff + 2 * ldc + 1 * VL));
            c22 = c22.add(FloatVector.fromArray(F, c, cOff + 2 * ldc + 2 * VL));
            c23 = c23.add(FloatVector.fromArray(F, c, cOff + 2 * ldc + 3 * VL));
            c30 = c30.add(FloatVector.fromArray(F, c, cOff + 3 * ldc + 0 * VL));
            c31 = c31.add(FloatVector.fromArray(F, c, cOff + 3 * ldc + 1 * VL));
            c32 = c32.add(FloatVector.fromArray(F, c, cOff + 3 * ldc + 2 * VL));
            c33 = c33.add(FloatVector.fromArray(F, c, cOff + 3 * ldc + 3 * VL));
            c40 = c40.add(FloatVector.fromArray(F, c, cOff + 4 * ldc + 0 * VL));
            c41 = c41.add(FloatVector.fromArray(F, c, cOff + 4 * ldc + 1 * VL));
            c42 = c42.add(FloatVector.fromArray(F, c, cOff + 4 * ldc + 2 * VL));
            c43 = c43.add(FloatVector.fromArray(F, c, cOff + 4 * ldc + 3 * VL));
            c50 = c50.add(FloatVector.fromArray(F, c, cOff + 5 * ldc + 0 * VL));
            c51 = c51.add(FloatVector.fromArray(F, c, cOff + 5 * ldc + 1 * VL));
            c52 = c52.add(FloatVector.fromArray(F, c, cOff + 5 * ldc + 2 * VL));
            c53 = c53.add(FloatVector.fromArray(F, c, cOff + 5 * ldc + 3 * VL));
        }
        c00.intoArray(c, cOff + 0 * ldc + 0 * VL); c01.intoArray(c, cOff + 0 * ldc + 1 * VL);
        c02.intoArray(c, cOff + 0 * ldc + 2 * VL); c03.intoArray(c, cOff + 0 * ldc + 3 * VL);
        c10.intoArray(c, cOff + 1 * ldc + 0 * VL); c11.intoArray(c, cOff + 1 * ldc + 1 * VL);
        c12.intoArray(c, cOff + 1 * ldc + 2 * VL); c13.intoArray(c, cOff + 1 * ldc + 3 * VL);
        c20.intoArray(c, cOff + 2 * ldc + 0 * VL); c21.intoArray(c, cOff + 2 * ldc + 1 * VL);
        c22.intoArray(c, cOff + 2 * ldc + 2 * VL); c23.intoArray(c, cOff + 2 * ldc + 3 * VL);
        c30.intoArray(c, cOff + 3 * ldc + 0 * VL); c31.intoArray(c, cOff + 3 * ldc + 1 * VL);
        c32.intoArray(c, cOff + 3 * ldc + 2 * VL); c33.intoArray(c, cOff + 3 * ldc + 3 * VL);
        c40.intoArray(c, cOff + 4 * ldc + 0 * VL); c41.intoArray(c, cOff + 4 * ldc + 1 * VL);
        c42.intoArray(c, cOff + 4 * ldc + 2 * VL); c43.intoArray(c, cOff + 4 * ldc + 3 * VL);
        c50.intoArray(c, cOff + 5 * ldc + 0 * VL); c51.intoArray(c, cOff + 5 * ldc + 1 * VL);
        c52.intoArray(c, cOff + 5 * ldc + 2 * VL); c53.intoArray(c, cOff + 5 * ldc + 3 * VL);
    }

    /** Adds (or copies) the valid rows × cols corner of a scratch micro-tile into C. */
    private static void mergeEdgeTile(float[] tile, float[] c, int cOff, int ldc, int rows, int cols, boolean addToC) {
        for (int r = 0; r < rows; r++) {
            int src = r * PANEL_WIDTH, dst = cOff + r * ldc;
            for (int j = 0; j < cols; j++) {
                c[dst + j] = addToC ? c[dst + j] + tile[src + j] : tile[src + j];
            }
        }
    }

    /**
     * Packs W[col0 .. col0+cols)[k0 .. k0+kc) widened to float into panels {@code [panel][k][PANEL_WIDTH]},
     * zero-filling the columns past {@code cols} in the last panel. Each group of {@link #TRANSPOSE} weight rows
     * is first widened into a row-major scratch (contiguous, vectorised), then transposed
     * {@link #TRANSPOSE}×{@link #TRANSPOSE} at a time in registers: scattering single elements to the panel's
     * stride ran at about a nanosecond per element, as long as the 600-row multiply it feeds.
     */
    static void packBlock(WeightMatrix w, int col0, int cols, int k0, int kc, float[] packed, float[] rowScratch) {
        // An interleaved matrix's tiles are read a group at a time where the block starts and ends on chunks (Q8_0's
        // blocks, with their scales, are widened row by row).
        int perChunk = w.interleaved() && w.dtype() != DType.Q8_0 ? w.chunkBytes() / w.dtype().byteSize() : 0;
        boolean groupTiles = TileTranspose.AVAILABLE && perChunk > 0 && perChunk % TRANSPOSE == 0
                && k0 % perChunk == 0 && kc % perChunk == 0;
        for (int p = 0, j0 = 0; j0 < cols; p++, j0 += PANEL_WIDTH) {
            int panel = p * kc * PANEL_WIDTH;
            for (int g = 0; g < PANEL_WIDTH; g += TRANSPOSE) {
                int validRows = Math.clamp(cols - j0 - g, 0, TRANSPOSE);
                int tileRow0 = col0 + j0 + g;
                if (groupTiles && validRows == TRANSPOSE && tileRow0 % WeightMatrix.GROUP_ROWS == 0) {
                    packInterleavedTile(w, tileRow0, k0, kc, perChunk, packed, panel + g, rowScratch);
                    continue;
                }
                for (int r = 0; r < TRANSPOSE; r++) {
                    if (r < validRows) {
                        widenRow(w, tileRow0 + r, k0, kc, rowScratch, r * K_BLOCK);
                    } else {
                        Arrays.fill(rowScratch, r * K_BLOCK, r * K_BLOCK + kc, 0f);
                    }
                }
                int k = 0;
                if (TileTranspose.AVAILABLE) {
                    for (; k + TRANSPOSE <= kc; k += TRANSPOSE) {
                        TileTranspose.transpose(rowScratch, k, K_BLOCK, packed, panel + k * PANEL_WIDTH + g,
                                PANEL_WIDTH);
                    }
                }
                for (; k < kc; k++) {
                    int dst = panel + k * PANEL_WIDTH + g;
                    for (int r = 0; r < TRANSPOSE; r++) {
                        packed[dst + r] = rowScratch[r * K_BLOCK + k];
                    }
                }
            }
        }
    }

    /**
     * {@link #packBlock}'s step for {@link #TRANSPOSE} rows of an interleaved matrix, starting at a group: each
     * group's chunks are one contiguous run, widened in one pass so that the scratch holds, per chunk, the tile's
     * rows one after the other ({@code [chunk][row][perChunk]}); the 16×16 transposes then read rows perChunk apart.
     */
    private static void packInterleavedTile(WeightMatrix w, int row0, int k0, int kc, int perChunk, float[] packed,
                                            int panelColumn, float[] scratch) {
        int run = WeightMatrix.GROUP_ROWS * perChunk;
        for (int group = 0; group < TRANSPOSE; group += WeightMatrix.GROUP_ROWS) {
            WeightVectors.widenGroupRuns(w, row0 + group, k0, kc, scratch, group * perChunk, run,
                    TRANSPOSE * perChunk);
        }
        for (int k = 0; k < kc; k += TRANSPOSE) {
            int src = k / perChunk * TRANSPOSE * perChunk + k % perChunk;
            TileTranspose.transpose(scratch, src, perChunk, packed, panelColumn + k * PANEL_WIDTH, PANEL_WIDTH);
        }
    }

    /** W[row][k0 .. k0+kc) widened to float into {@code dst[at ..]}. */
    private static void widenRow(WeightMatrix w, int row, int k0, int kc, float[] dst, int at) {
        WeightVectors.widenRow(w, row, k0, kc, false, dst, at);
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    private static int roundUp(int a, int b) {
        return ceilDiv(a, b) * b;
    }
}
