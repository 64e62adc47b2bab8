package dev.mod4j.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.HalfFloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Projections {@code y = x · Wᵀ + b} with W an {@code nn.Linear} weight [outFeatures × inFeatures] (row-major, as
 * in the checkpoint), for all rows of a batch. Weights of every layer sit in one buffer; layer L's matrix starts at
 * {@code L * weightLayerStride} and its bias at {@code L * biasLayerStride}. The epilogue stores y, adds it to
 * {@code out} (a residual connection) or adds {@code gate[r] · y} (an MLP whose output a router scales).
 *
 * <p>Each product comes twice: weights as float32 ({@code FloatArray}) and as half ({@code HalfFloatArray}, on devices
 * with fp16: each weight is read as half, converted to float, and accumulated in float, so only the weights' storage
 * and bandwidth are halved). The two differ in the weight load only; TornadoVM kernels cannot be generic over the
 * array type, so each loop is written out by hand twice (not generated): a fix to {@link #rowsTimesWeights} or
 * {@link #vectorTimesWeights} must be made in its half-weight twin too.
 */
public final class Matmul {
    /** Edge of the square tiles of {@link #rowsTimesWeights}. */
    public static final int TILE = 32;
    /** Rows each work-item of {@link #rowsTimesWeights} accumulates. */
    public static final int ROWS_PER_ITEM = 4;
    /** Work-items along y in a work-group of {@link #rowsTimesWeights}. */
    public static final int ROW_GROUP = TILE / ROWS_PER_ITEM;
    /** Work-group size of {@link #vectorTimesWeights}; a power of two. */
    public static final int VECTOR_LOCAL_SIZE = 64;

    public static final int STORE = 0;
    public static final int ADD = 1;
    public static final int ADD_GATED = 2;

    private Matmul() {
    }

    /**
     * Prefill: a tiled matrix product over the active rows. 2-D launch: x = output feature (rounded up to
     * {@link #TILE}), y = row / {@link #ROWS_PER_ITEM} (rows rounded up to TILE); work-groups of TILE × TILE/4. Each
     * group stages a TILE-wide slice of TILE x rows and of TILE W rows in local memory (W transposed and padded so that
     * neighbouring work-items read neighbouring words), and each work-item accumulates four rows of one output
     * feature, so every value read from local memory feeds four multiply-adds.
     */
    public static void rowsTimesWeights(KernelContext context, IntArray step, FloatArray x, FloatArray weights,
                                        int weightLayerStride, FloatArray bias, int biasLayerStride, FloatArray out,
                                        FloatArray gate, int inFeatures, int outFeatures, int epilogue) {
        float[] xTile = context.allocateFloatLocalArray(TILE * TILE);
        float[] wTile = context.allocateFloatLocalArray(TILE * (TILE + 1));
        int rows = step.get(Step.ROWS);
        int layer = step.get(Step.LAYER);
        int wBase = layer * weightLayerStride;
        int lx = context.localIdx;
        int ly = context.localIdy;
        int firstOut = context.groupIdx * TILE;
        int firstRow = context.groupIdy * TILE;
        int o = firstOut + lx;
        float acc0 = 0f;
        float acc1 = 0f;
        float acc2 = 0f;
        float acc3 = 0f;
        for (int k0 = 0; k0 < inFeatures; k0 += TILE) {
            int k = k0 + lx;
            for (int i = 0; i < ROWS_PER_ITEM; i++) {
                int tileRow = ly + i * ROW_GROUP;
                int r = firstRow + tileRow;
                float xv = 0f;
                if (r < rows && k < inFeatures) {
                    xv = x.get(r * inFeatures + k);
                }
                xTile[tileRow * TILE + lx] = xv;
                int wRow = firstOut + tileRow;
                float wv = 0f;
                if (wRow < outFeatures && k < inFeatures) {
                    wv = weights.get(wBase + wRow * inFeatures + k);
                }
                wTile[lx * (TILE + 1) + tileRow] = wv;
            }
            context.localBarrier();
            for (int kk = 0; kk < TILE; kk++) {
                float wv = wTile[kk * (TILE + 1) + lx];
                acc0 += xTile[ly * TILE + kk] * wv;
                acc1 += xTile[(ly + ROW_GROUP) * TILE + kk] * wv;
                acc2 += xTile[(ly + 2 * ROW_GROUP) * TILE + kk] * wv;
                acc3 += xTile[(ly + 3 * ROW_GROUP) * TILE + kk] * wv;
            }
            context.localBarrier();
        }
        if (o < outFeatures) {
            float b = bias.get(layer * biasLayerStride + o);
            store(out, gate, firstRow + ly, rows, outFeatures, o, acc0 + b, epilogue);
            store(out, gate, firstRow + ly + ROW_GROUP, rows, outFeatures, o, acc1 + b, epilogue);
            store(out, gate, firstRow + ly + 2 * ROW_GROUP, rows, outFeatures, o, acc2 + b, epilogue);
            store(out, gate, firstRow + ly + 3 * ROW_GROUP, rows, outFeatures, o, acc3 + b, epilogue);
        }
    }

    private static void store(FloatArray out, FloatArray gate, int r, int rows, int outFeatures, int o, float y,
                              int epilogue) {
        if (r < rows) {
            int at = r * outFeatures + o;
            if (epilogue == STORE) {
                out.set(at, y);
            } else if (epilogue == ADD) {
                out.set(at, out.get(at) + y);
            } else {
                out.set(at, out.get(at) + gate.get(r) * y);
            }
        }
    }

    /**
     * Decode: matrix-vector products, one work-group per output feature (launch outFeatures × VECTOR_LOCAL_SIZE
     * work-items); the group reads the weight row once per batch row, coalesced, and reduces in local memory.
     */
    public static void vectorTimesWeights(KernelContext context, IntArray step, FloatArray x, FloatArray weights,
                                          int weightLayerStride, FloatArray bias, int biasLayerStride, FloatArray out,
                                          FloatArray gate, int inFeatures, int outFeatures, int epilogue) {
        float[] partial = context.allocateFloatLocalArray(VECTOR_LOCAL_SIZE);
        int o = context.groupIdx;
        int lid = context.localIdx;
        int rows = step.get(Step.ROWS);
        int layer = step.get(Step.LAYER);
        int wRow = layer * weightLayerStride + o * inFeatures;
        float b = bias.get(layer * biasLayerStride + o);
        for (int r = 0; r < rows; r++) {
            int xRow = r * inFeatures;
            float sum = 0f;
            for (int k = lid; k < inFeatures; k += VECTOR_LOCAL_SIZE) {
                sum += weights.get(wRow + k) * x.get(xRow + k);
            }
            partial[lid] = sum;
            for (int stride = VECTOR_LOCAL_SIZE / 2; stride > 0; stride /= 2) {
                context.localBarrier();
                if (lid < stride) {
                    partial[lid] += partial[lid + stride];
                }
            }
            context.localBarrier();
            if (lid == 0) {
                float y = partial[0] + b;
                int at = r * outFeatures + o;
                if (epilogue == STORE) {
                    out.set(at, y);
                } else if (epilogue == ADD) {
                    out.set(at, out.get(at) + y);
                } else {
                    out.set(at, out.get(at) + gate.get(r) * y);
                }
            }
            context.localBarrier();
        }
    }

    /** {@link #rowsTimesWeights} with half weights, widened to float as they are read. */
    public static void rowsTimesHalfWeights(KernelContext context, IntArray step, FloatArray x, HalfFloatArray weights,
                                            int weightLayerStride, FloatArray bias, int biasLayerStride, FloatArray out,
                                            FloatArray gate, int inFeatures, int outFeatures, int epilogue) {
        float[] xTile = context.allocateFloatLocalArray(TILE * TILE);
        float[] wTile = context.allocateFloatLocalArray(TILE * (TILE + 1));
        int rows = step.get(Step.ROWS);
        int layer = step.get(Step.LAYER);
        int wBase = layer * weightLayerStride;
        int lx = context.localIdx;
        int ly = context.localIdy;
        int firstOut = context.groupIdx * TILE;
        int firstRow = context.groupIdy * TILE;
        int o = firstOut + lx;
        float acc0 = 0f;
        float acc1 = 0f;
        float acc2 = 0f;
        float acc3 = 0f;
        for (int k0 = 0; k0 < inFeatures; k0 += TILE) {
            int k = k0 + lx;
            for (int i = 0; i < ROWS_PER_ITEM; i++) {
                int tileRow = ly + i * ROW_GROUP;
                int r = firstRow + tileRow;
                float xv = 0f;
                if (r < rows && k < inFeatures) {
                    xv = x.get(r * inFeatures + k);
                }
                xTile[tileRow * TILE + lx] = xv;
                int wRow = firstOut + tileRow;
                float wv = 0f;
                if (wRow < outFeatures && k < inFeatures) {
                    wv = weights.get(wBase + wRow * inFeatures + k).getFloat32();
                }
                wTile[lx * (TILE + 1) + tileRow] = wv;
            }
            context.localBarrier();
            for (int kk = 0; kk < TILE; kk++) {
                float wv = wTile[kk * (TILE + 1) + lx];
                acc0 += xTile[ly * TILE + kk] * wv;
                acc1 += xTile[(ly + ROW_GROUP) * TILE + kk] * wv;
                acc2 += xTile[(ly + 2 * ROW_GROUP) * TILE + kk] * wv;
                acc3 += xTile[(ly + 3 * ROW_GROUP) * TILE + kk] * wv;
            }
            context.localBarrier();
        }
        if (o < outFeatures) {
            float b = bias.get(layer * biasLayerStride + o);
            store(out, gate, firstRow + ly, rows, outFeatures, o, acc0 + b, epilogue);
            store(out, gate, firstRow + ly + ROW_GROUP, rows, outFeatures, o, acc1 + b, epilogue);
            store(out, gate, firstRow + ly + 2 * ROW_GROUP, rows, outFeatures, o, acc2 + b, epilogue);
            store(out, gate, firstRow + ly + 3 * ROW_GROUP, rows, outFeatures, o, acc3 + b, epilogue);
        }
    }

    /** {@link #vectorTimesWeights} with half weights, widened to float as they are read. */
    public static void vectorTimesHalfWeights(KernelContext context, IntArray step, FloatArray x,
                                              HalfFloatArray weights, int weightLayerStride, FloatArray bias,
                                              int biasLayerStride, FloatArray out, FloatArray gate, int inFeatures,
                                              int outFeatures, int epilogue) {
        float[] partial = context.allocateFloatLocalArray(VECTOR_LOCAL_SIZE);
        int o = context.groupIdx;
        int lid = context.localIdx;
        int rows = step.get(Step.ROWS);
        int layer = step.get(Step.LAYER);
        int wRow = layer * weightLayerStride + o * inFeatures;
        float b = bias.get(layer * biasLayerStride + o);
        for (int r = 0; r < rows; r++) {
            int xRow = r * inFeatures;
            float sum = 0f;
            for (int k = lid; k < inFeatures; k += VECTOR_LOCAL_SIZE) {
                sum += weights.get(wRow + k).getFloat32() * x.get(xRow + k);
            }
            partial[lid] = sum;
            for (int stride = VECTOR_LOCAL_SIZE / 2; stride > 0; stride /= 2) {
                context.localBarrier();
                if (lid < stride) {
                    partial[lid] += partial[lid + stride];
                }
            }
            context.localBarrier();
            if (lid == 0) {
                float y = partial[0] + b;
                int at = r * outFeatures + o;
                if (epilogue == STORE) {
                    out.set(at, y);
                } else if (epilogue == ADD) {
                    out.set(at, out.get(at) + y);
                } else {
                    out.set(at, out.get(at) + gate.get(r) * y);
                }
            }
            context.localBarrier();
        }
    }
}
