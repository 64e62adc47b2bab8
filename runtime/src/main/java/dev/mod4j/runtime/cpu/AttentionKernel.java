package dev.mod4j.runtime.cpu;

import dev.mod4j.runtime.backend.LayerKvCache;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Scaled dot-product attention on the CPU: causal grouped-query attention of a batch of new rows against a layer's
 * KV cache (the decoder), and bidirectional attention among a set of rows (the vision tower).
 *
 * <p>Work is split into items of (key/value head, block of {@value #ROW_BLOCK} query rows). An item transposes the
 * keys its rows can see into a per-thread scratch, {@code [headDim × keys]}, once for all its rows and all query
 * heads of the group, so that scores are computed a vector of keys at a time (broadcast query element × a row of
 * the transposed keys, accumulated over headDim) with no per-score lane reduction, for four query vectors at once.
 * Scores exist for those four only (rows of the cache's length per thread): no n × n matrix is held.
 *
 * <p>Every output's arithmetic is fixed by the shapes alone: score j = Σ_d q[d]·k_j[d] fused-multiply-added in d
 * order, softmax sums in a fixed order ({@link LaneSums}), outputs Σ_j p_j·v_j fused-multiply-added in j order.
 * So results do not depend on the thread count or on which thread took an item.
 */
public final class AttentionKernel {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int VL = F.length();
    /** Query rows per work item: the key transpose is shared by this many rows (times the GQA group size). */
    static final int ROW_BLOCK = 16;
    private static final ThreadLocal<float[]> SCORES = ThreadLocal.withInitial(() -> new float[1024]);
    private static final ThreadLocal<float[]> TRANSPOSED_KEYS = ThreadLocal.withInitial(() -> new float[1 << 16]);
    /** Query vectors (row, head) computed together: each key or value vector loaded feeds this many FMAs. */
    private static final int QUERY_BLOCK = 4;
    private static final ThreadLocal<QueryBlock> QUERY_BLOCKS = ThreadLocal.withInitial(QueryBlock::new);

    private AttentionKernel() {
    }

    /**
     * Causal attention of {@code rows} new rows against {@code cache}: row r sits at cache entry base + r and
     * attends to entries [0, base + r]; query head h reads key/value head h / (heads / kvHeads).
     *
     * @param out   [rows × heads·headDim] attention outputs (before o_proj)
     * @param query [rows × heads·headDim] rotated queries
     */
    public static void attend(float[] out, float[] query, int rows, int heads, int kvHeads, int headDim,
                              LayerKvCache cache, int base, Parallel parallel) {
        Shape shape = new Shape(heads, kvHeads, headDim, heads * headDim, kvHeads * headDim);
        int rowBlocks = ceilDiv(rows, ROW_BLOCK);
        // Blocks with the most keys first, so the last items to be claimed are the short ones.
        parallel.forEach(kvHeads * rowBlocks, item -> {
            int block = rowBlocks - 1 - item / kvHeads;
            int from = block * ROW_BLOCK;
            attendBlock(out, query, cache.keys(), cache.values(), shape, item % kvHeads, from,
                    Math.min(rows, from + ROW_BLOCK), base, true);
        });
    }

    /**
     * Bidirectional multi-head attention among {@code rows} rows (the vision tower): every row attends to every row.
     * {@code query}, {@code key}, {@code value} and {@code out} are row-major [rows × heads·headDim].
     */
    public static void attendAll(float[] out, float[] query, float[] key, float[] value, int rows, int heads,
                                 int headDim, Parallel parallel) {
        Shape shape = new Shape(heads, heads, headDim, heads * headDim, heads * headDim);
        int rowBlocks = ceilDiv(rows, ROW_BLOCK);
        parallel.forEach(heads * rowBlocks, item -> {
            int from = (item / heads) * ROW_BLOCK;
            attendBlock(out, query, key, value, shape, item % heads, from, Math.min(rows, from + ROW_BLOCK), rows,
                    false);
        });
    }

    private record Shape(int heads, int kvHeads, int headDim, int qDim, int kvDim) {
        int groupSize() {
            return heads / kvHeads;
        }
    }

    /**
     * Query rows [from, to) × the query heads of key/value head {@code kvHead}. Causal: row r sees keys
     * [0, keyBase + r]; otherwise every row sees keys [0, keyBase). The (row, head) query vectors are taken
     * {@value #QUERY_BLOCK} at a time, so that every key and value vector loaded feeds that many FMAs.
     */
    private static void attendBlock(float[] out, float[] query, float[] keys, float[] values, Shape s, int kvHead,
                                    int from, int to, int keyBase, boolean causal) {
        int headDim = s.headDim();
        int kvOffset = kvHead * headDim;
        int keyCount = causal ? keyBase + to : keyBase;
        int stride = roundUp(keyCount, VL);
        float[] transposed = scratch(TRANSPOSED_KEYS, headDim * stride);
        transposeKeys(keys, s.kvDim(), kvOffset, keyCount, headDim, transposed, stride);
        for (int d = 0; d < headDim; d++) {
            java.util.Arrays.fill(transposed, d * stride + keyCount, (d + 1) * stride, 0f);
        }
        float[] scores = scratch(SCORES, QUERY_BLOCK * stride);
        QueryBlock block = QUERY_BLOCKS.get();
        float scale = (float) (1.0 / Math.sqrt(headDim));
        int group = s.groupSize();
        int vectors = (to - from) * group;
        for (int v0 = 0; v0 < vectors; v0 += QUERY_BLOCK) {
            int count = Math.min(QUERY_BLOCK, vectors - v0);
            int maxVisible = 0;
            for (int i = 0; i < QUERY_BLOCK; i++) {
                int v = v0 + Math.min(i, count - 1); // a short block repeats its last query; results unused
                int r = from + v / group;
                block.queryOffsets[i] = r * s.qDim() + (kvHead * group + v % group) * headDim;
                block.visible[i] = causal ? keyBase + r + 1 : keyBase;
                maxVisible = Math.max(maxVisible, block.visible[i]);
            }
            scoreKeys(query, block.queryOffsets, transposed, stride, headDim, maxVisible, scale, scores);
            for (int i = 0; i < count; i++) {
                block.inverseSums[i] = 1f / exponentiate(scores, i * stride, block.visible[i], block.lanes);
            }
            weightValues(out, block, count, values, s.kvDim(), kvOffset, headDim, scores, stride);
        }
    }

    /**
     * transposed[d · stride + j] = keys[j · kvDim + kvOffset + d] for j < keyCount, d < headDim: in 16×16 register
     * tiles where they fit, element by element at the edges. In decode this runs once per step and key/value head
     * over the whole cache, so element-wise scattering (a cache line a store) would cost more than the scores.
     */
    private static void transposeKeys(float[] keys, int kvDim, int kvOffset, int keyCount, int headDim,
                                      float[] transposed, int stride) {
        int tile = TileTranspose.SIZE;
        int tiledKeys = TileTranspose.AVAILABLE ? keyCount / tile * tile : 0;
        int tiledDims = TileTranspose.AVAILABLE ? headDim / tile * tile : 0;
        for (int j = 0; j < tiledKeys; j += tile) {
            for (int d = 0; d < tiledDims; d += tile) {
                TileTranspose.transpose(keys, j * kvDim + kvOffset + d, kvDim, transposed, d * stride + j, stride);
            }
            for (int jj = j; jj < j + tile; jj++) {
                int k = jj * kvDim + kvOffset;
                for (int d = tiledDims; d < headDim; d++) {
                    transposed[d * stride + jj] = keys[k + d];
                }
            }
        }
        for (int j = tiledKeys; j < keyCount; j++) {
            int k = j * kvDim + kvOffset;
            for (int d = 0; d < headDim; d++) {
                transposed[d * stride + j] = keys[k + d];
            }
        }
    }

    /** Per-thread bookkeeping of one block of query vectors. */
    private static final class QueryBlock {
        final int[] queryOffsets = new int[QUERY_BLOCK];
        final int[] visible = new int[QUERY_BLOCK];
        final float[] inverseSums = new float[QUERY_BLOCK];
        final float[] lanes = VectorKernels.lanes();
    }

    /**
     * scores[i·stride + j] = scale · Σ_d q_i[d]·K[j][d] for the four query vectors i and j < visible, from keys
     * transposed as [headDim × stride] (zero past the keys). Each score is the same FMA chain over d whichever loop
     * computes it.
     */
    private static void scoreKeys(float[] q, int[] qOffsets, float[] kt, int stride, int headDim, int visible,
                                  float scale, float[] scores) {
        int q0 = qOffsets[0];
        int q1 = qOffsets[1];
        int q2 = qOffsets[2];
        int q3 = qOffsets[3];
        int j = 0;
        // Two vectors of keys × four queries: eight independent FMA chains, two loads per eight FMAs.
        for (int bound = visible - 2 * VL; j <= bound; j += 2 * VL) {
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = FloatVector.zero(F);
            FloatVector b0 = FloatVector.zero(F);
            FloatVector b1 = FloatVector.zero(F);
            FloatVector c0 = FloatVector.zero(F);
            FloatVector c1 = FloatVector.zero(F);
            FloatVector d0 = FloatVector.zero(F);
            FloatVector d1 = FloatVector.zero(F);
            for (int d = 0, row = j; d < headDim; d++, row += stride) {
                FloatVector k0 = FloatVector.fromArray(F, kt, row);
                FloatVector k1 = FloatVector.fromArray(F, kt, row + VL);
                FloatVector x = FloatVector.broadcast(F, q[q0 + d]);
                a0 = k0.fma(x, a0);
                a1 = k1.fma(x, a1);
                x = FloatVector.broadcast(F, q[q1 + d]);
                b0 = k0.fma(x, b0);
                b1 = k1.fma(x, b1);
                x = FloatVector.broadcast(F, q[q2 + d]);
                c0 = k0.fma(x, c0);
                c1 = k1.fma(x, c1);
                x = FloatVector.broadcast(F, q[q3 + d]);
                d0 = k0.fma(x, d0);
                d1 = k1.fma(x, d1);
            }
            a0.mul(scale).intoArray(scores, j);
            a1.mul(scale).intoArray(scores, j + VL);
            b0.mul(scale).intoArray(scores, stride + j);
            b1.mul(scale).intoArray(scores, stride + j + VL);
            c0.mul(scale).intoArray(scores, 2 * stride + j);
            c1.mul(scale).intoArray(scores, 2 * stride + j + VL);
            d0.mul(scale).intoArray(scores, 3 * stride + j);
            d1.mul(scale).intoArray(scores, 3 * stride + j + VL);
        }
        // The last vectors of keys, the final one partial: lanes past the visible keys read the zeroed padding of
        // the transposed keys, and their scores are never read.
        for (; j < visible; j += VL) {
            FloatVector a = FloatVector.zero(F);
            FloatVector b = FloatVector.zero(F);
            FloatVector c = FloatVector.zero(F);
            FloatVector e = FloatVector.zero(F);
            for (int d = 0, row = j; d < headDim; d++, row += stride) {
                FloatVector k = FloatVector.fromArray(F, kt, row);
                a = k.fma(FloatVector.broadcast(F, q[q0 + d]), a);
                b = k.fma(FloatVector.broadcast(F, q[q1 + d]), b);
                c = k.fma(FloatVector.broadcast(F, q[q2 + d]), c);
                e = k.fma(FloatVector.broadcast(F, q[q3 + d]), e);
            }
            a.mul(scale).intoArray(scores, j);
            b.mul(scale).intoArray(scores, stride + j);
            c.mul(scale).intoArray(scores, 2 * stride + j);
            e.mul(scale).intoArray(scores, 3 * stride + j);
        }
    }

    /** scores[at + j] = exp(scores[at + j] − max) for j < n; returns their sum (fixed order). */
    static float exponentiate(float[] scores, int at, int n, float[] lanes) {
        int bound = F.loopBound(n);
        float max = Float.NEGATIVE_INFINITY;
        if (bound > 0) {
            FloatVector m = FloatVector.fromArray(F, scores, at);
            for (int j = VL; j < bound; j += VL) {
                m = m.max(FloatVector.fromArray(F, scores, at + j));
            }
            max = m.reduceLanes(VectorOperators.MAX); // max is exact in any order
        }
        for (int j = bound; j < n; j++) {
            max = Math.max(max, scores[at + j]);
        }
        FloatVector sum = FloatVector.zero(F);
        for (int j = 0; j < bound; j += VL) {
            FloatVector e = Exp.exp(FloatVector.fromArray(F, scores, at + j).sub(max));
            e.intoArray(scores, at + j);
            sum = sum.add(e);
        }
        sum.intoArray(lanes, 0);
        float total = LaneSums.sum(lanes, 0);
        for (int j = bound; j < n; j++) {
            float e = Exp.exp(scores[at + j] - max);
            scores[at + j] = e;
            total += e;
        }
        return total;
    }

    /**
     * out_i[d] = Σ_j (p_i[j]·inverseSum_i)·V[j][d] over j < visible_i, in j order, for the first {@code count}
     * query vectors of the block (p_i = scores[i·stride ..]). Keys all four queries see are shared: each value
     * vector loaded feeds four FMAs; the rest of each query's keys follow alone, in the same order.
     */
    private static void weightValues(float[] out, QueryBlock block, int count, float[] values, int kvDim,
                                     int kvOffset, int headDim, float[] p, int stride) {
        int shared = Integer.MAX_VALUE;
        for (int i = 0; i < QUERY_BLOCK; i++) {
            shared = Math.min(shared, block.visible[i]);
        }
        float w0 = block.inverseSums[0];
        float w1 = block.inverseSums[1];
        float w2 = block.inverseSums[2];
        float w3 = block.inverseSums[3];
        int d = 0;
        for (; d + 2 * VL <= headDim; d += 2 * VL) {
            // Two vectors of headDim × four queries: eight accumulators held across the shared keys.
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = FloatVector.zero(F);
            FloatVector b0 = FloatVector.zero(F);
            FloatVector b1 = FloatVector.zero(F);
            FloatVector c0 = FloatVector.zero(F);
            FloatVector c1 = FloatVector.zero(F);
            FloatVector d0 = FloatVector.zero(F);
            FloatVector d1 = FloatVector.zero(F);
            for (int j = 0, v = kvOffset + d; j < shared; j++, v += kvDim) {
                FloatVector v0 = FloatVector.fromArray(F, values, v);
                FloatVector v1 = FloatVector.fromArray(F, values, v + VL);
                FloatVector x = FloatVector.broadcast(F, p[j] * w0);
                a0 = v0.fma(x, a0);
                a1 = v1.fma(x, a1);
                x = FloatVector.broadcast(F, p[stride + j] * w1);
                b0 = v0.fma(x, b0);
                b1 = v1.fma(x, b1);
                x = FloatVector.broadcast(F, p[2 * stride + j] * w2);
                c0 = v0.fma(x, c0);
                c1 = v1.fma(x, c1);
                x = FloatVector.broadcast(F, p[3 * stride + j] * w3);
                d0 = v0.fma(x, d0);
                d1 = v1.fma(x, d1);
            }
            finishValues(out, block, 0, count, values, kvDim, kvOffset, d, p, stride, shared, a0, a1);
            finishValues(out, block, 1, count, values, kvDim, kvOffset, d, p, stride, shared, b0, b1);
            finishValues(out, block, 2, count, values, kvDim, kvOffset, d, p, stride, shared, c0, c1);
            finishValues(out, block, 3, count, values, kvDim, kvOffset, d, p, stride, shared, d0, d1);
        }
        for (int i = 0; i < count; i++) {
            int o = block.queryOffsets[i];
            float w = block.inverseSums[i];
            int at = i * stride;
            int visible = block.visible[i];
            for (int dd = d; dd + VL <= headDim; dd += VL) {
                FloatVector a = FloatVector.zero(F);
                for (int j = 0, v = kvOffset + dd; j < visible; j++, v += kvDim) {
                    a = FloatVector.fromArray(F, values, v).fma(FloatVector.broadcast(F, p[at + j] * w), a);
                }
                a.intoArray(out, o + dd);
            }
            for (int dd = d + (headDim - d) / VL * VL; dd < headDim; dd++) {
                float a = 0f;
                for (int j = 0, v = kvOffset + dd; j < visible; j++, v += kvDim) {
                    a = Math.fma(values[v], p[at + j] * w, a);
                }
                out[o + dd] = a;
            }
        }
    }

    /** Query i's keys past the shared ones, then its two output vectors at headDim offset d (if i is real). */
    private static void finishValues(float[] out, QueryBlock block, int i, int count, float[] values, int kvDim,
                                     int kvOffset, int d, float[] p, int stride, int shared,
                                     FloatVector a0, FloatVector a1) {
        if (i >= count) {
            return;
        }
        float w = block.inverseSums[i];
        int at = i * stride;
        for (int j = shared, v = kvOffset + d + shared * kvDim; j < block.visible[i]; j++, v += kvDim) {
            FloatVector x = FloatVector.broadcast(F, p[at + j] * w);
            a0 = FloatVector.fromArray(F, values, v).fma(x, a0);
            a1 = FloatVector.fromArray(F, values, v + VL).fma(x, a1);
        }
        int o = block.queryOffsets[i];
        a0.intoArray(out, o + d);
        a1.intoArray(out, o + d + VL);
    }

    /**
     * Runs both kernels on small inputs until the JIT has compiled them, so the first real prompt does not run
     * them interpreted (thousands of times slower, and allocating a vector object per operation).
     */
    static void warmUp() {
        int heads = 2;
        int headDim = 4 * VL + VL + 3;
        int rows = 5 * VL + 3; // every branch: four key vectors, one, and a tail
        int dim = heads * headDim;
        LayerKvCache cache = new LayerKvCache(dim, 4 * rows);
        int[] positions = new int[rows];
        float[] q = new float[rows * dim];
        float[] out = new float[rows * dim];
        java.util.Arrays.fill(q, 0.01f);
        try (Parallel callingThread = new Parallel(1)) {
            for (int i = 0; i < 200; i++) {
                cache.clear();
                int base = cache.reserve(rows, positions, positions);
                attend(out, q, rows, heads, heads, headDim, cache, base, callingThread);
                attendAll(out, q, q, q, rows, heads, headDim, callingThread);
            }
        }
    }

    private static float[] scratch(ThreadLocal<float[]> holder, int size) {
        float[] s = holder.get();
        if (s.length < size) {
            s = new float[Math.max(size, s.length * 2)];
            holder.set(s);
        }
        return s;
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    private static int roundUp(int a, int multiple) {
        return ceilDiv(a, multiple) * multiple;
    }
}
