package dev.mod4j.tornado;

import dev.mod4j.loaders.config.LlamaConfig;
import dev.mod4j.runtime.backend.Backend;
import dev.mod4j.runtime.model.LayerKvCache;
import dev.mod4j.runtime.model.LlamaModel;
import dev.mod4j.runtime.model.LlamaWeights;
import dev.mod4j.runtime.model.RotaryEmbedding;
import dev.mod4j.runtime.tensor.WeightMatrix;
import uk.ac.manchester.tornado.api.common.TornadoDevice;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.WeakReference;
import java.util.Arrays;
import java.util.function.Function;

/**
 * The decoder on a TornadoVM device (OpenCL, PTX or SPIR-V): the CPU backend's mathematics, as TornadoVM kernels in
 * {@link DecoderTaskGraphs}.
 *
 * <p>What stays on the device: all weights (uploaded once, float32) and a mirror of every layer's KV cache. What
 * crosses per call, and why: the runtime's {@link Backend} contract hands over host rows of {@code hidden}
 * and a host {@link LayerKvCache}, because the token schedules decide on the host which rows a layer processes
 * (routers, rank-and-drop, FastV/PyramidDrop attention scores read host hidden states). So each
 * {@link #decoderLayer} call copies the batch's rows in and out, and the new keys and values back into the host cache,
 * which stays the source of truth (positions, lengths, entries). The device cache is a copy kept in step with it:
 * if a layer's host cache is not the one the device last extended (another session ran in between, or something
 * else appended), the host entries are written to the device first.
 *
 * <p>Not thread-safe across sessions at the same time: one set of device buffers serves all sessions, so calls
 * are serialised.
 */
public final class TornadoBackend implements Backend {
    private final LlamaConfig config;
    private final LlamaWeights weights;
    private final TornadoDevice device;
    private final boolean profile;
    private final boolean halfFloatDevice;
    private DeviceWeights deviceWeights;
    private DecoderTaskGraphs graphs;
    /** Per layer: the host cache whose entries [0, residentLength) the device cache holds. */
    private final WeakReference<?>[] residentCache;
    private final int[] residentLength;
    private long restoredEntries;

    /** The backend on TornadoVM's default device. */
    public static TornadoBackend of(LlamaModel.Parts parts) {
        return new TornadoBackend(parts.config(), parts.weights(), parts.rope(), Devices.select(null), false);
    }

    /** A factory for {@link LlamaModel#load} on device {@code B:D} (null: TornadoVM's default device). */
    public static Function<LlamaModel.Parts, Backend> on(String deviceId) {
        return parts -> new TornadoBackend(parts.config(), parts.weights(), parts.rope(), Devices.select(deviceId),
                false);
    }

    public TornadoBackend(LlamaConfig config, LlamaWeights weights, RotaryEmbedding rope, TornadoDevice device,
                          boolean profile) {
        TornadoRuntimeAvailability.require();
        if (config.headDim() > dev.mod4j.tornado.kernels.Attention.MAX_HEAD_DIM) {
            throw new UnsupportedOperationException("head_dim " + config.headDim() + " exceeds the TornadoVM attention"
                    + " kernel's " + dev.mod4j.tornado.kernels.Attention.MAX_HEAD_DIM);
        }
        this.config = config;
        this.weights = weights;
        this.device = device;
        this.profile = profile;
        // Weights are float32 on the device. F16/BF16 checkpoints are widened at load; on a device with fp16 they
        // could stay half (HalfFloatArray), which the kernels do not do yet, so every device gets float32 for now.
        this.halfFloatDevice = Devices.supportsHalfFloat(device);
        this.deviceWeights = DeviceWeights.widen(config, weights, rope);
        this.residentCache = new WeakReference<?>[config.numHiddenLayers()];
        this.residentLength = new int[config.numHiddenLayers()];
    }

    @Override
    public String name() {
        return "tornadovm (" + Devices.backendName(device) + " " + device.getPhysicalDevice().getDeviceName()
                + ", weights f32" + (halfFloatDevice ? "" : ", device has no fp16") + ")";
    }

    /** The device the kernels run on. */
    public TornadoDevice device() {
        return device;
    }

    /** Scratch state of one session; the device buffers themselves belong to the backend (see the class comment). */
    record TornadoWorkspace(int maxRows) implements Workspace {
    }

    @Override
    public synchronized Workspace newWorkspace(int maxRows) {
        graphsFor(maxRows);
        return new TornadoWorkspace(maxRows);
    }

    /** The task graphs, rebuilt with a larger device KV cache when a session needs more than they hold. */
    private DecoderTaskGraphs graphsFor(int maxRows) {
        if (graphs == null || graphs.capacity() < maxRows) {
            if (graphs != null) {
                graphs.close();
            }
            graphs = new DecoderTaskGraphs(config, deviceWeights, Math.max(maxRows, 1), device, profile);
            Arrays.fill(residentCache, null);
            Arrays.fill(residentLength, 0);
        }
        return graphs;
    }

    @Override
    public synchronized void decoderLayer(int layer, Workspace workspace, float[] hidden, int rows, int[] positions,
                                          int[] tokenIndices, float[] mlpGate, LayerKvCache cache) {
        if (rows > workspace.maxRows()) {
            throw new IllegalArgumentException(rows + " rows exceed the workspace's " + workspace.maxRows());
        }
        if (rows == 0) {
            return;
        }
        int base = cache.length();
        DecoderTaskGraphs g = graphsFor(Math.max(workspace.maxRows(), base + rows));
        int d = config.hiddenSize();
        int kvDim = config.kvDim();
        ensureResident(g, layer, cache, base);

        DecoderTaskGraphs.Block b = g.blockFor(rows);
        MemorySegment.copy(hidden, 0, b.hiddenSegment, ValueLayout.JAVA_FLOAT, 0, rows * d);
        for (int r = 0; r < rows; r++) {
            b.positions.set(r, positions[r]);
            b.mlpGate.set(r, mlpGate == null ? 1f : mlpGate[r]);
        }
        b.step.set(dev.mod4j.tornado.kernels.Step.ROWS, rows);
        b.step.set(dev.mod4j.tornado.kernels.Step.BASE, base);
        b.step.set(dev.mod4j.tornado.kernels.Step.LAYER, layer);
        g.run(b, rows);
        MemorySegment.copy(b.hiddenSegment, ValueLayout.JAVA_FLOAT, 0, hidden, 0, rows * d);

        int reserved = cache.reserve(rows, positions, tokenIndices);
        MemorySegment.copy(b.keySegment, ValueLayout.JAVA_FLOAT, 0, cache.keys(), reserved * kvDim, rows * kvDim);
        MemorySegment.copy(b.valueSegment, ValueLayout.JAVA_FLOAT, 0, cache.values(), reserved * kvDim, rows * kvDim);
        residentCache[layer] = new WeakReference<>(cache);
        residentLength[layer] = base + rows;
    }

    /** Makes the device cache of {@code layer} hold the host entries [0, base) of {@code cache}. */
    private void ensureResident(DecoderTaskGraphs g, int layer, LayerKvCache cache, int base) {
        WeakReference<?> ref = residentCache[layer];
        boolean same = ref != null && ref.get() == cache;
        if (same && base <= residentLength[layer]) {
            // Entries [0, base) were written by this backend and nothing has overwritten them since (a cleared or
            // truncated cache only lowers the length).
            return;
        }
        if (base > 0) {
            g.restore(layer, cache.keys(), cache.values(), 0, base);
            restoredEntries += base;
        }
        residentCache[layer] = new WeakReference<>(cache);
        residentLength[layer] = base;
    }

    @Override
    public synchronized void logits(Workspace workspace, float[] hidden, int row, float[] logits, int logitsOffset) {
        graphsFor(workspace.maxRows()).logits(hidden, row * config.hiddenSize(), logits, logitsOffset);
    }

    @Override
    public void embed(int tokenId, float[] hidden, int row) {
        // A table lookup: done on the host, where the embedding rows are read from the checkpoint as they are.
        WeightMatrix table = weights.embedTokens();
        int d = config.hiddenSize();
        for (int c = 0; c < d; c++) {
            hidden[row * d + c] = table.get(tokenId, c);
        }
    }

    /** KV-cache entries written from host caches to the device so far (see {@link #ensureResident}). */
    public synchronized long restoredEntries() {
        return restoredEntries;
    }

    /** The graphs, for the benchmark's profiler readings. */
    DecoderTaskGraphs graphs() {
        return graphs;
    }

    @Override
    public synchronized void close() {
        if (graphs != null) {
            graphs.close();
            graphs = null;
        }
        deviceWeights = null;
    }
}
