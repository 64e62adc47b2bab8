package dev.mod4j.runtime.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Bidirectional multi-head attention among the rows of each image (the vision tower), for several images in one
 * call, as two matrix products per head run by {@link PackedPanelGemm}'s register-blocked micro-kernel: scores
 * {@code S = Q·Kᵀ} against the head's keys packed as panels of {@link PackedPanelGemm#PANEL_WIDTH} keys
 * ({@code [panel][d][key]}), a softmax over each row of S, then {@code P·V} against the head's values packed as
 * panels of PANEL_WIDTH features ({@code [panel][key][d]}). Every key or value vector loaded feeds
 * {@link PackedPanelGemm#MICRO_ROWS} × 4 FMAs, against {@link AttentionKernel}'s 8 FMAs per 2 loads and 4
 * broadcasts; on CLIP-L/336's 577 tokens that took attention from a fifth of a layer's time to its share of the
 * FLOPs (README, Performance).
 *
 * <p>The arithmetic is {@link AttentionKernel#attendAll}'s, in the same order: score = Σ_d q[d]·k[d] fused in d
 * order from zero, then times 1/√headDim; the same softmax; output = Σ_j (p_j · 1/Σp)·v_j fused in j order from
 * zero. So the outputs are the same bit for bit (tested), and do not depend on the thread count.
 *
 * <p>Holds the packed keys and values of every image and head: allocate one per forward pass and reuse it for
 * every layer.
 */
final class ImageAttention {
    private static final VectorSpecies<Float> F = WeightVectors.F;
    private static final int VL = WeightVectors.VL;
    private static final int PANEL = PackedPanelGemm.PANEL_WIDTH;
    private static final int MICRO_ROWS = PackedPanelGemm.MICRO_ROWS;
    /** Query rows per work item: eight micro-kernel row groups. */
    private static final int ROW_BLOCK = 8 * MICRO_ROWS;

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private final int images;
    private final int rows;
    private final int heads;
    private final int headDim;
    private final int keyPanels;
    private final int valuePanels;
    /** Row length of the scores: the keys rounded up to whole panels. */
    private final int scoreStride;
    private final float[] packedKeys;
    private final float[] packedValues;

    /** Attention for {@code images} images of {@code rowsPerImage} rows each, heads × headDim features a row. */
    ImageAttention(int images, int rowsPerImage, int heads, int headDim) {
        this.images = images;
        this.rows = rowsPerImage;
        this.heads = heads;
        this.headDim = headDim;
        this.keyPanels = ceilDiv(rowsPerImage, PANEL);
        this.valuePanels = ceilDiv(headDim, PANEL);
        this.scoreStride = keyPanels * PANEL;
        // Zero-filled once: key columns past the last key and value columns past headDim stay zero.
        this.packedKeys = new float[Math.multiplyExact(images * heads, keyPanels * headDim * PANEL)];
        this.packedValues = new float[Math.multiplyExact(images * heads, valuePanels * rowsPerImage * PANEL)];
    }

    /**
     * {@code out} = softmax(Q·Kᵀ/√headDim)·V per image and head; all arrays row-major
     * [images · rowsPerImage × heads · headDim], image after image.
     */
    void attend(float[] out, float[] query, float[] key, float[] value, Parallel parallel) {
        int dim = heads * headDim;
        int length = images * rows * dim;
        for (float[] a : new float[][] {out, query, key, value}) {
            if (a.length < length) {
                throw new IllegalArgumentException("expected at least " + length + " floats, got " + a.length);
            }
        }
        parallel.forEach(images * heads, item -> pack(key, value, item / heads, item % heads));
        int rowBlocks = ceilDiv(rows, ROW_BLOCK);
        parallel.forEach(images * heads * rowBlocks, item -> {
            int imageHead = item / rowBlocks;
            int from = item % rowBlocks * ROW_BLOCK;
            attendRows(out, query, imageHead / heads, imageHead % heads, from, Math.min(rows, from + ROW_BLOCK));
        });
    }

    /** Packs one image's keys and values of one head into their panels. */
    private void pack(float[] key, float[] value, int image, int head) {
        int dim = heads * headDim;
        int firstRow = image * rows;
        int column = head * headDim;
        int keysAt = (image * heads + head) * keyPanels * headDim * PANEL;
        int tile = TileTranspose.SIZE;
        int tiledDims = TileTranspose.AVAILABLE ? headDim / tile * tile : 0;
        for (int p = 0; p < keyPanels; p++) {
            int panelAt = keysAt + p * headDim * PANEL;
            int j0 = p * PANEL;
            int keys = Math.min(PANEL, rows - j0);
            int tiledKeys = tiledDims > 0 ? keys / tile * tile : 0;
            for (int j = 0; j < keys; j++) {
                int src = (firstRow + j0 + j) * dim + column;
                if (j % tile == 0 && j < tiledKeys) {
                    for (int d = 0; d < tiledDims; d += tile) {
                        TileTranspose.transpose(key, src + d, dim, packedKeys, panelAt + d * PANEL + j, PANEL);
                    }
                }
                for (int d = j < tiledKeys ? tiledDims : 0; d < headDim; d++) {
                    packedKeys[panelAt + d * PANEL + j] = key[src + d];
                }
            }
        }
        int valuesAt = (image * heads + head) * valuePanels * rows * PANEL;
        for (int p = 0; p < valuePanels; p++) {
            int panelAt = valuesAt + p * rows * PANEL;
            int width = Math.min(PANEL, headDim - p * PANEL);
            for (int j = 0; j < rows; j++) {
                System.arraycopy(value, (firstRow + j) * dim + column + p * PANEL, packedValues, panelAt + j * PANEL,
                        width);
            }
        }
    }

    /** Query rows [from, to) of one image and head, {@link PackedPanelGemm#MICRO_ROWS} at a time. */
    private void attendRows(float[] out, float[] query, int image, int head, int from, int to) {
        Scratch s = SCRATCH.get();
        float[] scores = s.scores(MICRO_ROWS * scoreStride);
        int dim = heads * headDim;
        int keysAt = (image * heads + head) * keyPanels * headDim * PANEL;
        int valuesAt = (image * heads + head) * valuePanels * rows * PANEL;
        float scale = (float) (1.0 / Math.sqrt(headDim));
        for (int r = from; r < to; r += MICRO_ROWS) {
            int count = Math.min(MICRO_ROWS, to - r);
            int queryAt = (image * rows + r) * dim + head * headDim;
            for (int p = 0; p < keyPanels; p++) {
                PackedPanelGemm.microKernel(query, queryAt, dim, count, packedKeys, keysAt + p * headDim * PANEL,
                        headDim, scores, p * PANEL, scoreStride, false);
            }
            for (int i = 0; i < count; i++) {
                int at = i * scoreStride;
                scale(scores, at, rows, scale);
                float inverseSum = 1f / AttentionKernel.exponentiate(scores, at, rows, s.lanes);
                scale(scores, at, rows, inverseSum);
            }
            int outAt = (image * rows + r) * dim + head * headDim;
            for (int p = 0; p < valuePanels; p++) {
                int panelAt = valuesAt + p * rows * PANEL;
                int width = Math.min(PANEL, headDim - p * PANEL);
                if (count == MICRO_ROWS && width == PANEL) {
                    PackedPanelGemm.microKernel(scores, 0, scoreStride, count, packedValues, panelAt, rows, out,
                            outAt + p * PANEL, dim, false);
                } else {
                    PackedPanelGemm.microKernel(scores, 0, scoreStride, count, packedValues, panelAt, rows, s.edge,
                            0, PANEL, false);
                    for (int i = 0; i < count; i++) {
                        System.arraycopy(s.edge, i * PANEL, out, outAt + i * dim + p * PANEL, width);
                    }
                }
            }
        }
    }

    /** {@code x[at + j] *= factor} for j < n. */
    private static void scale(float[] x, int at, int n, float factor) {
        int j = 0;
        for (int bound = F.loopBound(n); j < bound; j += VL) {
            FloatVector.fromArray(F, x, at + j).mul(factor).intoArray(x, at + j);
        }
        for (; j < n; j++) {
            x[at + j] *= factor;
        }
    }

    /** Per-thread rows of scores and an edge tile for a last, partial group of rows. */
    private static final class Scratch {
        final float[] lanes = VectorKernels.lanes();
        final float[] edge = new float[MICRO_ROWS * PANEL];
        float[] scores = new float[0];

        float[] scores(int size) {
            if (scores.length < size) {
                scores = new float[size];
            }
            return scores;
        }
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }
}
