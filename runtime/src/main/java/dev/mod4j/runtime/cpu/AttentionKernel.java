package dev.mod4j.runtime.cpu;

import dev.mod4j.runtime.model.LayerKvCache;
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
 * the transposed keys, accumulated over headDim) with no per-score lane reduction. Scores exist one query row at a
 * time (a row of the cache's length per thread): no n × n matrix is held.
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
    private static final ThreadLocal<float[]> LANES = ThreadLocal.withInitial(VectorKernels::lanes);

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
     * [0, keyBase + r]; otherwise every row sees keys [0, keyBase).
     */
    private static void attendBlock(float[] out, float[] query, float[] keys, float[] values, Shape s, int kvHead,
                                    int from, int to, int keyBase, boolean causal) {
        int headDim = s.headDim();
        int kvOffset = kvHead * headDim;
        int keyCount = causal ? keyBase + to : keyBase;
        int stride = roundUp(keyCount, VL);
        float[] transposed = scratch(TRANSPOSED_KEYS, headDim * stride);
        for (int j = 0; j < keyCount; j++) {
            int k = j * s.kvDim() + kvOffset;
            for (int d = 0; d < headDim; d++) {
                transposed[d * stride + j] = keys[k + d];
            }
        }
        float[] scores = scratch(SCORES, stride);
        float[] lanes = LANES.get();
        float scale = (float) (1.0 / Math.sqrt(headDim));
        for (int r = from; r < to; r++) {
            int visible = causal ? keyBase + r + 1 : keyBase;
            for (int h = kvHead * s.groupSize(), end = h + s.groupSize(); h < end; h++) {
                int qOffset = r * s.qDim() + h * headDim;
                scoreKeys(query, qOffset, transposed, stride, headDim, visible, scale, scores);
                float inverseSum = 1f / exponentiate(scores, visible, lanes);
                weightValues(out, qOffset, values, s.kvDim(), kvOffset, headDim, scores, inverseSum, visible);
            }
        }
    }

    /** scores[j] = scale · Σ_d q[d]·K[j][d] for j < visible, from keys transposed as [headDim × stride]. */
    private static void scoreKeys(float[] q, int qOffset, float[] kt, int stride, int headDim, int visible,
                                  float scale, float[] scores) {
        int j = 0;
        // Four vectors of keys at a time: four independent FMA chains over d.
        for (int bound = visible - 4 * VL; j <= bound; j += 4 * VL) {
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = FloatVector.zero(F);
            FloatVector a2 = FloatVector.zero(F);
            FloatVector a3 = FloatVector.zero(F);
            for (int d = 0, row = j; d < headDim; d++, row += stride) {
                FloatVector qd = FloatVector.broadcast(F, q[qOffset + d]);
                a0 = FloatVector.fromArray(F, kt, row).fma(qd, a0);
                a1 = FloatVector.fromArray(F, kt, row + VL).fma(qd, a1);
                a2 = FloatVector.fromArray(F, kt, row + 2 * VL).fma(qd, a2);
                a3 = FloatVector.fromArray(F, kt, row + 3 * VL).fma(qd, a3);
            }
            a0.mul(scale).intoArray(scores, j);
            a1.mul(scale).intoArray(scores, j + VL);
            a2.mul(scale).intoArray(scores, j + 2 * VL);
            a3.mul(scale).intoArray(scores, j + 3 * VL);
        }
        for (int bound = F.loopBound(visible); j < bound; j += VL) {
            FloatVector a = FloatVector.zero(F);
            for (int d = 0, row = j; d < headDim; d++, row += stride) {
                a = FloatVector.fromArray(F, kt, row).fma(FloatVector.broadcast(F, q[qOffset + d]), a);
            }
            a.mul(scale).intoArray(scores, j);
        }
        for (; j < visible; j++) {
            float a = 0f;
            for (int d = 0, at = j; d < headDim; d++, at += stride) {
                a = Math.fma(kt[at], q[qOffset + d], a);
            }
            scores[j] = a * scale;
        }
    }

    /** scores[j] = exp(scores[j] − max) for j < n; returns their sum (fixed order). */
    private static float exponentiate(float[] scores, int n, float[] lanes) {
        int bound = F.loopBound(n);
        float max = Float.NEGATIVE_INFINITY;
        if (bound > 0) {
            FloatVector m = FloatVector.fromArray(F, scores, 0);
            for (int j = VL; j < bound; j += VL) {
                m = m.max(FloatVector.fromArray(F, scores, j));
            }
            max = m.reduceLanes(VectorOperators.MAX); // max is exact in any order
        }
        for (int j = bound; j < n; j++) {
            max = Math.max(max, scores[j]);
        }
        FloatVector sum = FloatVector.zero(F);
        for (int j = 0; j < bound; j += VL) {
            FloatVector e = FloatVector.fromArray(F, scores, j).sub(max).lanewise(VectorOperators.EXP);
            e.intoArray(scores, j);
            sum = sum.add(e);
        }
        sum.intoArray(lanes, 0);
        float total = LaneSums.sum(lanes, 0);
        for (int j = bound; j < n; j++) {
            float e = (float) Math.exp(scores[j] - max);
            scores[j] = e;
            total += e;
        }
        return total;
    }

    /** out[o + d] = Σ_j (p[j]·inverseSum)·V[j][d] over j < visible, in j order, for d < headDim. */
    private static void weightValues(float[] out, int o, float[] values, int kvDim, int kvOffset, int headDim,
                                     float[] p, float inverseSum, int visible) {
        int d = 0;
        // Four vectors of headDim at a time, held in registers across all keys.
        for (; d + 4 * VL <= headDim; d += 4 * VL) {
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = FloatVector.zero(F);
            FloatVector a2 = FloatVector.zero(F);
            FloatVector a3 = FloatVector.zero(F);
            for (int j = 0, v = kvOffset + d; j < visible; j++, v += kvDim) {
                FloatVector pj = FloatVector.broadcast(F, p[j] * inverseSum);
                a0 = FloatVector.fromArray(F, values, v).fma(pj, a0);
                a1 = FloatVector.fromArray(F, values, v + VL).fma(pj, a1);
                a2 = FloatVector.fromArray(F, values, v + 2 * VL).fma(pj, a2);
                a3 = FloatVector.fromArray(F, values, v + 3 * VL).fma(pj, a3);
            }
            a0.intoArray(out, o + d);
            a1.intoArray(out, o + d + VL);
            a2.intoArray(out, o + d + 2 * VL);
            a3.intoArray(out, o + d + 3 * VL);
        }
        for (; d + VL <= headDim; d += VL) {
            FloatVector a = FloatVector.zero(F);
            for (int j = 0, v = kvOffset + d; j < visible; j++, v += kvDim) {
                a = FloatVector.fromArray(F, values, v).fma(FloatVector.broadcast(F, p[j] * inverseSum), a);
            }
            a.intoArray(out, o + d);
        }
        for (; d < headDim; d++) {
            float a = 0f;
            for (int j = 0, v = kvOffset + d; j < visible; j++, v += kvDim) {
                a = Math.fma(values[v], p[j] * inverseSum, a);
            }
            out[o + d] = a;
        }
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
