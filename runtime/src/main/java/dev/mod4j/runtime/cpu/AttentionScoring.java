package dev.mod4j.runtime.cpu;

import dev.mod4j.loaders.config.LlamaConfig;
import dev.mod4j.runtime.weights.DecoderLayerWeights;
import dev.mod4j.runtime.backend.RotaryEmbedding;

/**
 * One query row's attention over the rows before it, with a given layer's input norm and q/k projections — the
 * importance score of FastV and PyramidDrop. Only one query row is computed (O(n)), never an n × n matrix.
 */
final class AttentionScoring {
    private AttentionScoring() {
    }

    /**
     * @param hidden    current rows [rows × d]
     * @param positions rotary position of each row
     * @return head-mean softmax probabilities over rows [0, queryRow]; length queryRow + 1
     */
    static float[] headMeanProbabilities(LlamaConfig c, DecoderLayerWeights w, RotaryEmbedding rope, float[] hidden,
                                         int queryRow, int[] positions) {
        int d = c.hiddenSize();
        int keys = queryRow + 1;
        int kvDim = c.kvDim();
        int headDim = c.headDim();
        float[] normed = new float[keys * d];
        for (int r = 0; r < keys; r++) {
            VectorKernels.rmsNorm(normed, r * d, hidden, r * d, w.inputLayernorm(), d, c.rmsNormEps());
        }
        float[] k = new float[keys * kvDim];
        MatmulKernel.multiply(k, 0, normed, 0, keys, w.kProj(), Parallel.common());
        float[] q = new float[c.qDim()];
        MatmulKernel.multiply(q, 0, normed, queryRow * d, 1, w.qProj(), Parallel.common());
        if (w.qBias() != null) {
            VectorKernels.addBias(q, 1, w.qBias());
            VectorKernels.addBias(k, keys, w.kBias());
        }
        for (int r = 0; r < keys; r++) {
            rope.rotate(k, r * kvDim, c.numKeyValueHeads(), positions[r]);
        }
        rope.rotate(q, 0, c.numAttentionHeads(), positions[queryRow]);
        float scale = (float) (1.0 / Math.sqrt(headDim));
        float[] mean = new float[keys];
        float[] lanes = VectorKernels.lanes();
        float[] scores = new float[keys];
        int group = c.queryGroupSize();
        for (int h = 0; h < c.numAttentionHeads(); h++) {
            int kvOffset = (h / group) * headDim;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < keys; j++) {
                scores[j] = VectorKernels.dot(q, h * headDim, k, j * kvDim + kvOffset, headDim, lanes) * scale;
                max = Math.max(max, scores[j]);
            }
            float sum = 0;
            for (int j = 0; j < keys; j++) {
                scores[j] = (float) Math.exp(scores[j] - max);
                sum += scores[j];
            }
            for (int j = 0; j < keys; j++) {
                mean[j] += scores[j] / sum;
            }
        }
        for (int j = 0; j < keys; j++) {
            mean[j] /= c.numAttentionHeads();
        }
        return mean;
    }
}
