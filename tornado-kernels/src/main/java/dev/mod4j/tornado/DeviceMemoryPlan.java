package dev.mod4j.tornado;

import dev.mod4j.loaders.config.LlamaConfig;
import dev.mod4j.runtime.model.ContextLengthException;

/**
 * What a model and a session of {@code capacity} tokens occupy in device memory, estimated before anything is
 * allocated, so that a session too large for the device fails with a message that says how much is needed instead
 * of an allocation error deep inside TornadoVM (or a device out-of-memory in the middle of a forward pass).
 *
 * @param weightBytes     the decoder's matrices at the device precision, plus lm_head, norms and the session's rotary tables
 * @param kvCacheBytes    keys and values of every layer for {@code capacity} entries (float32)
 * @param activationBytes the residual stream and one block's scratch for {@code capacity} rows (float32)
 */
record DeviceMemoryPlan(long weightBytes, long kvCacheBytes, long activationBytes) {

    static DeviceMemoryPlan of(LlamaConfig c, WeightPrecision precision, int capacity) {
        long d = c.hiddenSize();
        long perLayerMatrices = d * c.qDim() + 2 * d * c.kvDim() + c.qDim() * d + 3 * d * c.intermediateSize();
        long matrices = perLayerMatrices * c.numHiddenLayers() + (long) c.vocabSize() * d;
        long small = (2L * c.numHiddenLayers() + 1) * d + (long) Math.min(capacity, c.maxPositionEmbeddings()) * c.headDim();
        long weights = matrices * (precision == WeightPrecision.F16 ? 2 : 4) + small * 4;
        long kv = 2L * c.numHiddenLayers() * capacity * c.kvDim() * 4;
        long perRow = 4 * d + 2L * c.qDim() + 2L * c.kvDim() + 2L * c.intermediateSize();
        return new DeviceMemoryPlan(weights, kv, perRow * capacity * 4 + (long) c.vocabSize() * 4);
    }

    long totalBytes() {
        return weightBytes + kvCacheBytes + activationBytes;
    }

    /** Throws a {@link ContextLengthException} naming the amounts when the plan exceeds {@code deviceBytes}. */
    void requireFits(long deviceBytes, String deviceName, int capacity) {
        if (deviceBytes > 0 && totalBytes() > deviceBytes) {
            throw new ContextLengthException("session", String.format("%d tokens need %.2f GiB on %s (weights %.2f GiB,"
                            + " KV cache %.2f GiB, activations %.2f GiB), which has %.2f GiB; use fewer tokens, a device"
                            + " with more memory, or the cpu backend", capacity, gib(totalBytes()), deviceName,
                    gib(weightBytes), gib(kvCacheBytes), gib(activationBytes), gib(deviceBytes)));
        }
    }

    private static double gib(long bytes) {
        return bytes / (double) (1L << 30);
    }
}
