package dev.mod4j.runtime.cpu;

import dev.mod4j.loaders.config.LlamaConfig;
import dev.mod4j.runtime.backend.ResidualStream;
import dev.mod4j.runtime.backend.LayerKvCache;

/**
 * The residual stream on the host: a [capacity × hidden_size] float array. A layer over some rows copies them into a
 * compact batch, runs {@link CpuBackend#decoderLayer} on it and copies them back; skipped rows cost nothing.
 */
final class CpuResidualStream implements ResidualStream {
    private final CpuBackend backend;
    private final LlamaConfig config;
    private final int capacity;
    private final int hiddenSize;
    private final CpuBackend.CpuWorkspace workspace;
    private final float[] hidden;
    private final float[] gathered;
    private int rows;

    CpuResidualStream(CpuBackend backend, int capacity) {
        this.backend = backend;
        this.config = backend.config();
        this.capacity = capacity;
        this.hiddenSize = config.hiddenSize();
        this.workspace = backend.newWorkspace(capacity);
        this.hidden = new float[Math.multiplyExact(capacity, hiddenSize)];
        this.gathered = new float[capacity * hiddenSize];
    }

    @Override
    public int capacity() {
        return capacity;
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public void start(int newRows) {
        if (newRows > capacity) {
            throw new IllegalArgumentException(newRows + " rows exceed the stream's capacity of " + capacity);
        }
        rows = newRows;
    }

    @Override
    public void embed(int row, int tokenId) {
        backend.embed(tokenId, hidden, row);
    }

    @Override
    public void put(int row, float[] source, int offset) {
        System.arraycopy(source, offset, hidden, row * hiddenSize, hiddenSize);
    }

    @Override
    public void decoderLayer(int layer, int[] processedRows, int count, int[] positions, int[] tokenIndices,
                             float[] mlpGate, LayerKvCache cache) {
        if (processedRows == null) {
            backend.decoderLayer(layer, workspace, hidden, count, positions, tokenIndices, mlpGate, cache);
            return;
        }
        for (int i = 0; i < count; i++) {
            System.arraycopy(hidden, processedRows[i] * hiddenSize, gathered, i * hiddenSize, hiddenSize);
        }
        if (count > 0) {
            backend.decoderLayer(layer, workspace, gathered, count, positions, tokenIndices, mlpGate, cache);
        }
        for (int i = 0; i < count; i++) {
            System.arraycopy(gathered, i * hiddenSize, hidden, processedRows[i] * hiddenSize, hiddenSize);
        }
    }

    @Override
    public void scaleRows(int[] scaled, float[] factors, int count) {
        for (int i = 0; i < count; i++) {
            float factor = factors[i];
            for (int at = scaled[i] * hiddenSize, end = at + hiddenSize; at < end; at++) {
                hidden[at] *= factor;
            }
        }
    }

    @Override
    public void keepRows(int[] survivors, int count) {
        // Survivors are ascending, so row survivors[i] >= i is read before anything overwrites it.
        for (int i = 0; i < count; i++) {
            if (survivors[i] != i) {
                System.arraycopy(hidden, survivors[i] * hiddenSize, hidden, i * hiddenSize, hiddenSize);
            }
        }
        rows = count;
    }

    @Override
    public void logits(int row, float[] out, int offset) {
        backend.logits(workspace, hidden, row, out, offset);
    }

    @Override
    public float[] rowScores(int[] scored, int count, int normLayer, float[] weight, float[] bias, int outputs) {
        float[] normed = normLayer < 0 ? null : new float[hiddenSize];
        float[] normWeight = normLayer < 0 ? null : backend.weights().layers().get(normLayer).inputLayernorm();
        float[] out = new float[count * outputs];
        for (int i = 0; i < count; i++) {
            int row = scored == null ? i : scored[i];
            float[] x = hidden;
            int xOffset = row * hiddenSize;
            if (normed != null) {
                VectorKernels.rmsNorm(normed, 0, hidden, xOffset, normWeight, hiddenSize, config.rmsNormEps());
                x = normed;
                xOffset = 0;
            }
            for (int o = 0; o < outputs; o++) {
                // A plain sequential sum, as the routers' reference loops (and PyTorch's float Linear on one row).
                float sum = 0;
                for (int c = 0; c < hiddenSize; c++) {
                    sum += weight[o * hiddenSize + c] * x[xOffset + c];
                }
                out[i * outputs + o] = bias == null ? sum : sum + bias[o];
            }
        }
        return out;
    }

    @Override
    public float[] attentionFrom(int queryRow, int layer, int[] positions) {
        return AttentionProbabilities.headMean(config, backend.weights().layers().get(layer), backend.rope(),
                hidden, queryRow, positions, backend.parallel());
    }

    @Override
    public float[] attentionFrom(int[] queryRows, int layer, int[] positions) {
        return AttentionProbabilities.headMeanRows(config, backend.weights().layers().get(layer), backend.rope(),
                hidden, queryRows, positions, backend.parallel());
    }

    @Override
    public float[] hostRows() {
        return hidden;
    }
}
