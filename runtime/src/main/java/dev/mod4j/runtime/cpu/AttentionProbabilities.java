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
     * [(keys − firstQuery) × q_dim] and [keys × kv_dim].
     */
    public static float[][] queriesAndKeys(LlamaConfig c, DecoderLayerWeights w, RotaryEmbedding rope,
                                           float[] hidden, int keys, int firstQuery, int[] positions) {
        int d = c.hiddenSize();
        int queries = keys - firstQuery;
        float[] normed = new float[keys * d];
        for (int r = 0; r < keys; r++) {
            VectorKernels.rmsNorm(normed, r * d, hidden, r * d, w.inputLayernorm(), d, c.rmsNormEps());
        }
        float[] q = new float[queries * c.qDim()];
        float[] k = new float[keys * c.kvDim()];
        MatmulKernel.linear(q, 0, normed, firstQuery * d, queries, w.qProj(), Parallel.common());
        MatmulKernel.linear(k, 0, normed, 0, keys, w.kProj(), Parallel.common());
        for (int r = 0; r < keys; r++) {
            rope.rotate(k, r * c.kvDim(), c.numKeyValueHeads(), positions[r]);
        }
        for (int i = 0; i < queries; i++) {
            rope.rotate(q, i * c.qDim(), c.numAttentionHeads(), positions[firstQuery + i]);
        }
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
     * Head-mean softmax probabilities of row {@code queryRow} over rows [0, queryRow] (length queryRow + 1).
     *
     * @param hidden    current rows [rows × d]
     * @param positions rotary position of each row
     */
    public static float[] headMean(LlamaConfig c, DecoderLayerWeights w, RotaryEmbedding rope, float[] hidden,
                                   int queryRow, int[] positions) {
        int keys = queryRow + 1;
        float[][] qk = queriesAndKeys(c, w, rope, hidden, keys, queryRow, positions);
        int headDim = c.headDim();
        float[] mean = new float[keys];
        float[] lanes = VectorKernels.lanes();
        float[] scores = new float[keys];
        for (int h = 0; h < c.numAttentionHeads(); h++) {
            float sum = softmaxNumerators(qk[0], h * headDim, qk[1], c.kvDim(), (h / c.queryGroupSize()) * headDim,
                    keys, headDim, lanes, scores);
            for (int j = 0; j < keys; j++) {
                mean[j] += scores[j] / sum;
            }
        }
        for (int j = 0; j < keys; j++) {
            mean[j] /= c.numAttentionHeads();
        }
        return mean;
    }

    /**
     * {@link #headMean} for several query rows (ascending), the keys projected once: row-major
     * [queryRows.length × (last query + 1)], query i's probabilities over rows [0, queryRows[i]] and 0 after.
     */
    public static float[] headMeanRows(LlamaConfig c, DecoderLayerWeights w, RotaryEmbedding rope, float[] hidden,
                                       int[] queryRows, int[] positions) {
        if (queryRows.length == 0) {
            return new float[0];
        }
        int keys = queryRows[queryRows.length - 1] + 1;
        int firstQuery = queryRows[0];
        float[][] qk = queriesAndKeys(c, w, rope, hidden, keys, firstQuery, positions);
        int headDim = c.headDim();
        float[] out = new float[queryRows.length * keys];
        float[] lanes = VectorKernels.lanes();
        float[] scores = new float[keys];
        for (int i = 0; i < queryRows.length; i++) {
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
        }
        return out;
    }
}
