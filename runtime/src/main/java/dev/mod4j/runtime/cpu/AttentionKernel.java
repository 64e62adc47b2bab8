package dev.mod4j.runtime.cpu;

import dev.mod4j.runtime.model.LayerKvCache;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Causal grouped-query attention of a batch of new rows against a layer's KV cache. Row r of the batch sits at
 * cache entry base + r and attends to entries [0, base + r]; query head h reads key/value head h / groupSize.
 * Scores are computed one query row at a time into a scratch row, so no n × n matrix is ever held.
 */
public final class AttentionKernel {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final ThreadLocal<float[]> SCORES = ThreadLocal.withInitial(() -> new float[1024]);
    private static final ThreadLocal<float[]> LANES = ThreadLocal.withInitial(VectorKernels::lanes);

    private AttentionKernel() {
    }

    /**
     * @param out   [rows × heads·headDim] attention outputs (before o_proj)
     * @param query [rows × heads·headDim] rotated queries
     */
    public static void attend(float[] out, float[] query, int rows, int heads, int kvHeads, int headDim,
                              LayerKvCache cache, int base, Parallel parallel) {
        int groupSize = heads / kvHeads;
        int qDim = heads * headDim;
        int kvDim = kvHeads * headDim;
        float scale = (float) (1.0 / Math.sqrt(headDim));
        float[] keys = cache.keys();
        float[] values = cache.values();
        parallel.forEach(rows * heads, item -> {
            int r = item / heads;
            int h = item % heads;
            int kvOffset = (h / groupSize) * headDim;
            int qOffset = r * qDim + h * headDim;
            int visible = base + r + 1;
            float[] scores = scratch(visible);
            float[] lanes = LANES.get();
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < visible; j++) {
                float s = VectorKernels.dot(query, qOffset, keys, j * kvDim + kvOffset, headDim, lanes) * scale;
                scores[j] = s;
                max = Math.max(max, s);
            }
            float sum = 0;
            for (int j = 0; j < visible; j++) {
                float e = (float) Math.exp(scores[j] - max);
                scores[j] = e;
                sum += e;
            }
            float inv = 1f / sum;
            int o = r * qDim + h * headDim;
            java.util.Arrays.fill(out, o, o + headDim, 0f);
            for (int j = 0; j < visible; j++) {
                accumulate(out, o, values, j * kvDim + kvOffset, scores[j] * inv, headDim);
            }
        });
    }

    /**
     * Bidirectional multi-head attention among {@code rows} rows (the vision tower): every row attends to every row.
     * {@code query}, {@code key}, {@code value} and {@code out} are row-major [rows × heads·headDim].
     */
    public static void attendAll(float[] out, float[] query, float[] key, float[] value, int rows, int heads,
                                 int headDim, Parallel parallel) {
        int dim = heads * headDim;
        float scale = (float) (1.0 / Math.sqrt(headDim));
        parallel.forEach(rows * heads, item -> {
            int r = item / heads;
            int h = item % heads;
            int qOffset = r * dim + h * headDim;
            float[] scores = scratch(rows);
            float[] lanes = LANES.get();
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < rows; j++) {
                float s = VectorKernels.dot(query, qOffset, key, j * dim + h * headDim, headDim, lanes) * scale;
                scores[j] = s;
                max = Math.max(max, s);
            }
            float sum = 0;
            for (int j = 0; j < rows; j++) {
                float e = (float) Math.exp(scores[j] - max);
                scores[j] = e;
                sum += e;
            }
            float inv = 1f / sum;
            java.util.Arrays.fill(out, qOffset, qOffset + headDim, 0f);
            for (int j = 0; j < rows; j++) {
                accumulate(out, qOffset, value, j * dim + h * headDim, scores[j] * inv, headDim);
            }
        });
    }

    private static void accumulate(float[] out, int outOffset, float[] v, int vOffset, float p, int size) {
        int i = 0;
        for (int upper = F.loopBound(size); i < upper; i += F.length()) {
            FloatVector.fromArray(F, v, vOffset + i).fma(FloatVector.broadcast(F, p), FloatVector.fromArray(F, out, outOffset + i))
                    .intoArray(out, outOffset + i);
        }
        for (; i < size; i++) {
            out[outOffset + i] += p * v[vOffset + i];
        }
    }

    private static float[] scratch(int size) {
        float[] s = SCORES.get();
        if (s.length < size) {
            s = new float[Math.max(size, s.length * 2)];
            SCORES.set(s);
        }
        return s;
    }
}
