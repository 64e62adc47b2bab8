package dev.mod4j.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The token schedules' scores, computed on the rows where they live: router logits (γ-MoD's shared router on
 * input_layernorm'ed rows, p-MoD's per-layer routers on raw rows) and the head-mean attention probabilities of one
 * query row (FastV, PyramidDrop). Only the scores go back to the host, where the schedule picks the rows.
 */
public final class Routing {
    /** Work-group size of the reductions; a power of two. */
    public static final int LOCAL_SIZE = 128;

    private Routing() {
    }

    /**
     * Router logits {@code scores[i·maxOutputs + o] = P[o] · x + b[o]} of stream rows {@code rowIndex[i]},
     * i &lt; step[ROWS], with {@code x} the raw row (step[LAYER] &lt; 0) or its RMSNorm with layer step[LAYER]'s
     * input_layernorm. The projection is slot step[ARG] of {@code projections} ([slots × maxOutputs × width]), with
     * step[BASE] outputs. One work-group of {@link #LOCAL_SIZE} per row.
     */
    public static void projectRows(KernelContext context, IntArray step, IntArray rowIndex, FloatArray rows,
                                   FloatArray normWeights, FloatArray projections, FloatArray projectionBias,
                                   FloatArray scores, int width, int maxOutputs, float eps) {
        float[] partial = context.allocateFloatLocalArray(LOCAL_SIZE);
        int i = context.groupIdx;
        int lid = context.localIdx;
        if (i < step.get(Step.ROWS)) {
            int x0 = rowIndex.get(i) * width;
            int layer = step.get(Step.LAYER);
            float scale = 1f;
            if (layer >= 0) {
                float sum = 0f;
                for (int c = lid; c < width; c += LOCAL_SIZE) {
                    float v = rows.get(x0 + c);
                    sum += v * v;
                }
                partial[lid] = sum;
                for (int stride = LOCAL_SIZE / 2; stride > 0; stride /= 2) {
                    context.localBarrier();
                    if (lid < stride) {
                        partial[lid] += partial[lid + stride];
                    }
                }
                context.localBarrier();
                scale = 1.0f / TornadoMath.sqrt(partial[0] / width + eps);
                context.localBarrier();
            }
            int slot = step.get(Step.ARG);
            int outputs = step.get(Step.BASE);
            for (int o = 0; o < outputs; o++) {
                int w0 = (slot * maxOutputs + o) * width;
                float sum = 0f;
                for (int c = lid; c < width; c += LOCAL_SIZE) {
                    float x = rows.get(x0 + c);
                    if (layer >= 0) {
                        x = normWeights.get(layer * width + c) * (x * scale);
                    }
                    sum += projections.get(w0 + c) * x;
                }
                partial[lid] = sum;
                for (int stride = LOCAL_SIZE / 2; stride > 0; stride /= 2) {
                    context.localBarrier();
                    if (lid < stride) {
                        partial[lid] += partial[lid + stride];
                    }
                }
                context.localBarrier();
                if (lid == 0) {
                    scores.set(i * maxOutputs + o, partial[0] + projectionBias.get(slot * maxOutputs + o));
                }
                context.localBarrier();
            }
        }
    }

    /** Copies an uploaded projection ({@code [maxOutputs × width]} and its bias) into slot step[ARG]. */
    public static void storeProjection(KernelContext context, IntArray step, FloatArray weights, FloatArray bias,
                                       FloatArray projections, FloatArray projectionBias, int width, int maxOutputs) {
        int e = context.globalIdx;
        int slot = step.get(Step.ARG);
        if (e < maxOutputs * width) {
            projections.set(slot * maxOutputs * width + e, weights.get(e));
        }
        if (e < maxOutputs) {
            projectionBias.set(slot * maxOutputs + e, bias.get(e));
        }
    }

    /**
     * Scaled dot products of the (rotated) query with every key, {@code scores[h·capacity + j] = q_h · k_j / √d_h}
     * for keys j &lt; step[ROWS]; query head h reads key head h / (heads / kvHeads). One work-item per (head, key).
     */
    public static void attentionLogits(KernelContext context, IntArray step, FloatArray query, FloatArray keys,
                                       FloatArray scores, int heads, int kvHeads, int headDim, int capacity,
                                       float scale) {
        int e = context.globalIdx;
        if (e < heads * capacity) {
            int h = e / capacity;
            int j = e - h * capacity;
            if (j < step.get(Step.ROWS)) {
                int kvDim = kvHeads * headDim;
                int k0 = j * kvDim + (h / (heads / kvHeads)) * headDim;
                int q0 = h * headDim;
                float dot = 0f;
                for (int d = 0; d < headDim; d++) {
                    dot += query.get(q0 + d) * keys.get(k0 + d);
                }
                scores.set(e, dot * scale);
            }
        }
    }

    /** Per head, the softmax's max and sum over keys j &lt; step[ROWS]: {@code stats[2h] = max, stats[2h+1] = sum}. */
    public static void attentionSoftmaxStats(KernelContext context, IntArray step, FloatArray scores, FloatArray stats,
                                             int capacity) {
        float[] partial = context.allocateFloatLocalArray(LOCAL_SIZE);
        int h = context.groupIdx;
        int lid = context.localIdx;
        int keys = step.get(Step.ROWS);
        int s0 = h * capacity;
        float max = -Float.MAX_VALUE;
        for (int j = lid; j < keys; j += LOCAL_SIZE) {
            max = TornadoMath.max(max, scores.get(s0 + j));
        }
        partial[lid] = max;
        for (int stride = LOCAL_SIZE / 2; stride > 0; stride /= 2) {
            context.localBarrier();
            if (lid < stride) {
                partial[lid] = TornadoMath.max(partial[lid], partial[lid + stride]);
            }
        }
        context.localBarrier();
        float headMax = partial[0];
        context.localBarrier();
        float sum = 0f;
        for (int j = lid; j < keys; j += LOCAL_SIZE) {
            sum += TornadoMath.exp(scores.get(s0 + j) - headMax);
        }
        partial[lid] = sum;
        for (int stride = LOCAL_SIZE / 2; stride > 0; stride /= 2) {
            context.localBarrier();
            if (lid < stride) {
                partial[lid] += partial[lid + stride];
            }
        }
        context.localBarrier();
        if (lid == 0) {
            stats.set(2 * h, headMax);
            stats.set(2 * h + 1, partial[0]);
        }
    }

    /** {@code mean[j] = (Σ_h softmax_h(j)) / heads} for keys j &lt; step[ROWS]. One work-item per key. */
    public static void attentionHeadMean(KernelContext context, IntArray step, FloatArray scores, FloatArray stats,
                                         FloatArray mean, int heads, int capacity) {
        int j = context.globalIdx;
        if (j < step.get(Step.ROWS)) {
            float acc = 0f;
            for (int h = 0; h < heads; h++) {
                acc += TornadoMath.exp(scores.get(h * capacity + j) - stats.get(2 * h)) / stats.get(2 * h + 1);
            }
            mean.set(j, acc / heads);
        }
    }
}
