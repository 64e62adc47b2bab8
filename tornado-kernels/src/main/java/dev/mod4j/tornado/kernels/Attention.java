package dev.mod4j.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Multi-head attention. {@link #causal}: grouped-query attention of a batch of new decoder rows against the device KV
 * cache; row r of the batch sits at cache entry base + r and attends to entries [0, base + r]; query head h reads
 * key/value head h / (heads / kvHeads). {@link #bidirectional}: the vision tower's, every row attending to every row.
 */
public final class Attention {
    /** Keys scored per step, and the work-group size. */
    public static final int TILE = 32;
    /** Largest head dimension the kernel keeps in local memory. */
    public static final int MAX_HEAD_DIM = 256;

    private Attention() {
    }

    /**
     * One work-group per (row, head); launch rows × heads × {@link #TILE} work-items. Keys are scored a tile at a
     * time and the softmax is accumulated online (running max and sum, rescaling the output when the max grows, as in
     * FlashAttention), so no score row of cache length is ever stored. {@code q} and {@code out} are
     * [rows × heads·headDim].
     */
    public static void causal(KernelContext context, IntArray step, FloatArray q, FloatArray keyCache,
                              FloatArray valueCache, FloatArray out, int heads, int kvHeads, int headDim,
                              int capacity, float scale) {
        float[] query = context.allocateFloatLocalArray(MAX_HEAD_DIM);
        float[] acc = context.allocateFloatLocalArray(MAX_HEAD_DIM);
        float[] p = context.allocateFloatLocalArray(TILE);
        int lid = context.localIdx;
        int r = context.groupIdx / heads;
        int h = context.groupIdx - r * heads;
        if (r < step.get(Step.ROWS)) {
            int kvDim = kvHeads * headDim;
            int kvOffset = (h / (heads / kvHeads)) * headDim;
            int cacheBase = step.get(Step.LAYER) * capacity * kvDim;
            int qOffset = r * heads * headDim + h * headDim;
            for (int d = lid; d < headDim; d += TILE) {
                query[d] = q.get(qOffset + d);
                acc[d] = 0f;
            }
            context.localBarrier();
            int visible = step.get(Step.BASE) + r + 1;
            float max = -Float.MAX_VALUE;
            float sum = 0f;
            for (int first = 0; first < visible; first += TILE) {
                int count = TornadoMath.min(TILE, visible - first);
                float s = -Float.MAX_VALUE;
                if (lid < count) {
                    int key = cacheBase + (first + lid) * kvDim + kvOffset;
                    float dot = 0f;
                    for (int d = 0; d < headDim; d++) {
                        dot += query[d] * keyCache.get(key + d);
                    }
                    s = dot * scale;
                }
                p[lid] = s;
                context.localBarrier();
                float tileMax = p[0];
                for (int t = 1; t < count; t++) {
                    tileMax = TornadoMath.max(tileMax, p[t]);
                }
                float newMax = TornadoMath.max(max, tileMax);
                float correction = TornadoMath.exp(max - newMax);
                context.localBarrier();
                p[lid] = TornadoMath.exp(s - newMax);
                context.localBarrier();
                float tileSum = 0f;
                for (int t = 0; t < count; t++) {
                    tileSum += p[t];
                }
                sum = sum * correction + tileSum;
                for (int d = lid; d < headDim; d += TILE) {
                    float a = acc[d] * correction;
                    int value = cacheBase + first * kvDim + kvOffset + d;
                    for (int t = 0; t < count; t++) {
                        a += p[t] * valueCache.get(value + t * kvDim);
                    }
                    acc[d] = a;
                }
                max = newMax;
                context.localBarrier();
            }
            float inv = 1f / sum;
            for (int d = lid; d < headDim; d += TILE) {
                out.set(qOffset + d, acc[d] * inv);
            }
        }
    }

    /**
     * Bidirectional multi-head attention among the first step[ROWS] rows of {@code q}, {@code k}, {@code v} (all
     * [rows × heads·headDim]): every row attends to every row (CLIP's encoder, no mask). Launched and computed as
     * {@link #causal} (one work-group of {@link #TILE} per (row, head), online softmax over key tiles), with the keys
     * and values of this batch instead of the cache.
     */
    public static void bidirectional(KernelContext context, IntArray step, FloatArray q, FloatArray k, FloatArray v,
                                     FloatArray out, int heads, int headDim, float scale) {
        float[] query = context.allocateFloatLocalArray(MAX_HEAD_DIM);
        float[] acc = context.allocateFloatLocalArray(MAX_HEAD_DIM);
        float[] p = context.allocateFloatLocalArray(TILE);
        int lid = context.localIdx;
        int rows = step.get(Step.ROWS);
        int r = context.groupIdx / heads;
        int h = context.groupIdx - r * heads;
        if (r < rows) {
            int width = heads * headDim;
            int headOffset = h * headDim;
            int qOffset = r * width + headOffset;
            for (int d = lid; d < headDim; d += TILE) {
                query[d] = q.get(qOffset + d);
                acc[d] = 0f;
            }
            context.localBarrier();
            float max = -Float.MAX_VALUE;
            float sum = 0f;
            for (int first = 0; first < rows; first += TILE) {
                int count = TornadoMath.min(TILE, rows - first);
                float s = -Float.MAX_VALUE;
                if (lid < count) {
                    int key = (first + lid) * width + headOffset;
                    float dot = 0f;
                    for (int d = 0; d < headDim; d++) {
                        dot += query[d] * k.get(key + d);
                    }
                    s = dot * scale;
                }
                p[lid] = s;
                context.localBarrier();
                float tileMax = p[0];
                for (int t = 1; t < count; t++) {
                    tileMax = TornadoMath.max(tileMax, p[t]);
                }
                float newMax = TornadoMath.max(max, tileMax);
                float correction = TornadoMath.exp(max - newMax);
                context.localBarrier();
                p[lid] = TornadoMath.exp(s - newMax);
                context.localBarrier();
                float tileSum = 0f;
                for (int t = 0; t < count; t++) {
                    tileSum += p[t];
                }
                sum = sum * correction + tileSum;
                for (int d = lid; d < headDim; d += TILE) {
                    float a = acc[d] * correction;
                    int value = first * width + headOffset + d;
                    for (int t = 0; t < count; t++) {
                        a += p[t] * v.get(value + t * width);
                    }
                    acc[d] = a;
                }
                max = newMax;
                context.localBarrier();
            }
            float inv = 1f / sum;
            for (int d = lid; d < headDim; d += TILE) {
                out.set(qOffset + d, acc[d] * inv);
            }
        }
    }
}
