package dev.mod4j.tornado;

import dev.mod4j.loaders.config.LlamaConfig;
import dev.mod4j.runtime.backend.ResidualStream;
import dev.mod4j.runtime.backend.LayerKvCache;

/**
 * A session's residual stream on the device. The rows live in the backend's device buffer while this stream is the
 * one running there; the host array {@link #host} receives a forward pass's input rows (embeddings are looked up on
 * the host, image rows come from the projector) before they are uploaded once, and holds a copy of the rows only
 * when asked ({@link #hostRows}) or when another session's stream takes the device. Every operation is the
 * backend's, on the device ({@link TornadoBackend}).
 */
final class TornadoResidualStream implements ResidualStream {
    private final TornadoBackend backend;
    private final int capacity;
    private final int hiddenSize;
    /** Host rows [capacity × hidden_size]: the input rows of a forward pass, or a copy of the device rows. */
    final float[] host;
    /** The device buffer holds this stream's rows. */
    boolean onDevice;
    /** {@link #host} equals the current rows. */
    boolean hostCurrent;
    private int rows;

    TornadoResidualStream(TornadoBackend backend, LlamaConfig config, int capacity) {
        this.backend = backend;
        this.capacity = capacity;
        this.hiddenSize = config.hiddenSize();
        this.host = new float[Math.multiplyExact(capacity, hiddenSize)];
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
        // The new rows are written on the host and uploaded by the first operation that needs them on the device.
        onDevice = false;
        hostCurrent = true;
    }

    @Override
    public void embed(int row, int tokenId) {
        requireHostInput();
        backend.embed(tokenId, host, row);
    }

    @Override
    public void put(int row, float[] source, int offset) {
        requireHostInput();
        System.arraycopy(source, offset, host, row * hiddenSize, hiddenSize);
    }

    private void requireHostInput() {
        if (onDevice) {
            throw new IllegalStateException("rows are written after start(), before the first layer runs");
        }
    }

    @Override
    public void decoderLayer(int layer, int[] processedRows, int count, int[] positions, int[] tokenIndices,
                             float[] mlpGate, LayerKvCache cache) {
        backend.decoderLayer(this, layer, processedRows, count, positions, tokenIndices, mlpGate, cache);
    }

    @Override
    public void scaleRows(int[] scaled, float[] factors, int count) {
        if (count > 0) {
            backend.scaleRows(this, scaled, factors, count);
        }
    }

    @Override
    public void copyCacheToHost(int layer, LayerKvCache cache) {
        backend.copyCacheToHost(layer, cache);
    }

    @Override
    public void keepRows(int[] survivors, int count) {
        backend.keepRows(this, survivors, count);
        rows = count;
    }

    @Override
    public void logits(int row, float[] out, int offset) {
        backend.logits(this, row, out, offset);
    }

    @Override
    public float[] rowScores(int[] scored, int count, int normLayer, float[] weight, float[] bias, int outputs) {
        return count == 0 ? new float[0] : backend.rowScores(this, scored, count, normLayer, weight, bias, outputs);
    }

    @Override
    public float[] attentionFrom(int queryRow, int layer, int[] positions) {
        return backend.attentionFrom(this, queryRow, layer, positions);
    }

    @Override
    public float[] hostRows() {
        backend.download(this);
        return host;
    }
}
