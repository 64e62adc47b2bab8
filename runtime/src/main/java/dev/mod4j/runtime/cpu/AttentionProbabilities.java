package dev.mod4j.runtime.cpu;

import dev.mod4j.loaders.config.LlamaConfig;
import dev.mod4j.runtime.backend.RotaryEmbedding;
import dev.mod4j.runtime.weights.DecoderLayerWeights;

/**
 * Softmax attention probabilities recomputed from a layer's input rows, on the host: the importance score of FastV
 * and PyramidDrop (one query row, averaged over heads: O(n), never an n × n matrix) and γ-MoD's ARank (every query
 * row, per head). One routine for both, so the two agree to the bit.
 */
public final class AttentionProbabilities {
    private AttentionProbabilities() {
    }

    /**
     * Queries of rows [firstQuery, keys) and keys of rows [0, keys), with layer {@code w}'s input norm, q/k
     * projections and row r rotated to {@code positions[r]}: {@code [queries, keys]} as
     * [(keys − firstQuery) × q_dim] and [keys × kv_dim]. Rows are independent, so running them on {@code parallel}
     * gives the same bits for any thread count (as in {@link CpuBackend}'s layers).
     */
    public static float[][] queriesAndKeys(LlamaConfig c, DecoderLayerWeights w, RotaryEmbedding rope,
                                           float[] hidden, int keys, int firstQuery, int[] positions,
                                           Parallel parallel) {
        int d = c.hiddenSize();
        int queries = keys - firstQuery;
        float[] normed = new float[keys * d];
        double eps = c.rmsNormEps();
        parallel.forEach(keys, r -> VectorKernels.rmsNorm(normed, r * d, hidden, r * d, w.inputLayernorm(), d, eps));
        float[] q = new float[queries * c.qDim()];
        float[] k = new float[keys * c.kvDim()];
        MatmulKernel.linear(q, 0, normed, firstQuery * d, queries, w.qProj(), parallel);
        MatmulKernel.linear(k, 0, normed, 0, keys, w.kProj(), parallel);
        parallel.forEach(keys, r -> rope.rotate(k, r * c.kvDim(), c.numKeyValueHeads(), positions[r]));
        parallel.forEach(queries, i -> rope.rotate(q, i * c.qDim(), c.numAttentionHeads(), positions[firstQuery + i]));
        return new float[][]{q, k};
    }

    /**
     * One head's softmax numerators over keys [0, count): {@code out[j] = exp(s_j − max s)} with
     * {@code s_j = q·k_j / √head_dim}; returns their sum (the denominator).
     *
     * @param kvOffset the head's offset inside a key row (its key-value group × head_dim)
     */
    public static float softmaxNumerators(float[] q, int qOffset, float[] k, int kvDim, int kvOffset, int count,
                                          int headDim, float[] lanes, float[] out) {
        float scale = (float) (1.0 / Math.sqrt(headDim));
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < count; j++) {
            out[j] = VectorKernels.dot(q, qOffset, k, j * kvDim + kvOffset, headDim, lanes) * scale;
            max = Math.max(max, out[j]);
        }
        float sum = 0;
        for (int j = 0; j < count; j++) {
            out[j] = (float) Math.exp(out[j] - max);
            sum += out[j];
        }
        return sum;
    }

    /**
     * Head-mean softmax probabilities of row {@code queryRow} over rows [0, queryRow] (length queryRow + 1). The
     * heads run on {@code parallel}, each into its own row; their probabilities are then summed per key in head
     * order, so the result is the same bits for any thread count.
     *
     * @param hidden    current rows [rows × d]
     * @param positions rotary position of each row
     */
    public static float[] headMean(LlamaConfig c, DecoderLayerWeights w, RotaryEmbedding rope, float[] hidden,
                                   int queryRow, int[] positions, Parallel parallel) {
        int keys = queryRow + 1;
        float[][] qk = queriesAndKeys(c, w, rope, hidden, keys, queryRow, positions, parallel);
        int headDim = c.headDim();
        int heads = c.numAttentionHeads();
        float[] byHead = new float[heads * keys];
        parallel.forEach(heads, h -> {
            float[] scores = new float[keys];
            float sum = softmaxNumerators(qk[0], h * headDim, qk[1], c.kvDim(), (h / c.queryGroupSize()) * headDim,
                    keys, headDim, VectorKernels.lanes(), scores);
            for (int j = 0; j < keys; j++) {
                byHead[h * keys + j] = scores[j] / sum;
            }
        });
        float[] mean = new float[keys];
        int chunk = 1024;
        parallel.forEach((keys + chunk - 1) / chunk, part -> {
            int end = Math.min(keys, (part + 1) * chunk);
            for (int j = part * chunk; j < end; j++) {
                float total = 0;
                for (int h = 0; h < heads; h++) {
                    total += byHead[h * keys + j];
                }
                mean[j] = total / heads;
            }
        });
        return mean;
    }

    /**
     * {@link #headMean} for several query rows (ascending), the keys projected once: row-major
     * [queryRows.length × (last query + 1)], query i's probabilities over rows [0, queryRows[i]] and 0 after. The
     * queries run on {@code parallel}, each with its heads in order, so the result does not depend on the threads.
     */
    public static float[] headMeanRows(LlamaConfig c, DecoderLayerWeights w, RotaryEmbedding rope, float[] hidden,
                                       int[] queryRows, int[] positions, Parallel parallel) {
        if (queryRows.length == 0) {
            return new float[0];
        }
        int keys = queryRows[queryRows.length - 1] + 1;
        int firstQuery = queryRows[0];
        float[][] qk = queriesAndKeys(c, w, rope, hidden, keys, firstQuery, positions, parallel);
        int headDim = c.headDim();
        float[] out = new float[queryRows.length * keys];
        parallel.forEach(queryRows.length, i -> {
            float[] lanes = VectorKernels.lanes();
            float[] scores = new float[keys];
            int visible = queryRows[i] + 1;
            int qOffset = (queryRows[i] - firstQuery) * c.qDim();
            for (int h = 0; h < c.numAttentionHeads(); h++) {
                float sum = softmaxNumerators(qk[0], qOffset + h * headDim, qk[1], c.kvDim(),
                        (h / c.queryGroupSize()) * headDim, visible, headDim, lanes, scores);
                for (int j = 0; j < visible; j++) {
                    out[i * keys + j] += scores[j] / sum;
                }
            }
            for (int j = 0; j < visible; j++) {
                out[i * keys + j] /= c.numAttentionHeads();
            }
        });
        return out;
    }
}
