package dev.mod4j.tornado;

import dev.mod4j.loaders.config.LlamaConfig;
import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.runtime.backend.Backend;
import dev.mod4j.runtime.backend.LayerKvCache;
import dev.mod4j.runtime.backend.ModelParts;
import dev.mod4j.runtime.backend.ResidualStream;
import dev.mod4j.runtime.backend.RotaryEmbedding;
import dev.mod4j.runtime.backend.VisionEncoder;
import dev.mod4j.runtime.backend.VisionParts;
import dev.mod4j.runtime.tensor.WeightMatrix;
import dev.mod4j.runtime.weights.LlamaWeights;
import uk.ac.manchester.tornado.api.common.TornadoDevice;

import java.lang.ref.WeakReference;
import java.util.Arrays;
import java.util.function.Function;

/**
 * The model on a TornadoVM device (OpenCL, PTX or SPIR-V): the CPU backend's mathematics, as TornadoVM kernels in
 * {@link DecoderTaskGraphs} for the decoder and {@link EncoderTaskGraphs} for the vision tower and projector
 * ({@link #vision()}).
 *
 * <p>What lives on the device: all weights (uploaded once; matrices float32, or half for an F16 checkpoint on a device
 * with fp16, see {@link WeightPrecision}), the KV cache of every layer and the residual
 * stream (the hidden rows of the forward pass). A session's {@link TornadoResidualStream} runs layers, gathers,
 * scatters, scales and compacts rows, and computes the schedules' router and attention scores there; per layer only
 * row indices, positions, gates and scores (a few numbers per row) cross the bus. The host {@link LayerKvCache}
 * keeps the length, positions and token indices of every entry (the schedules and the trace read them); the keys
 * and values themselves stay on the device and are written back into the host cache only when another session's
 * cache takes the device's place for that layer (the device holds one session's cache per layer). Likewise the
 * device holds one session's residual stream: when another session's stream runs, the rows of the first are
 * downloaded into its host copy and uploaded again when it runs next. A single session never pays either.
 *
 * <p>Not thread-safe across sessions at the same time: one set of device buffers serves all sessions, so calls
 * are serialised.
 */
public final class TornadoBackend implements Backend {
    private final LlamaConfig config;
    private final LlamaWeights weights;
    private final VisionParts visionParts;
    private final TornadoDevice device;
    private final boolean profile;
    private final boolean halfFloatDevice;
    /** The checkpoint matrices' common element type (null: mixed) and the precision they have on the device. */
    private final DType checkpointMatrices;
    private final WeightPrecision precision;
    private DeviceWeights deviceWeights;
    /** The CPU's rotary tables, from which each session's device tables are read (see {@link RotaryTables}). */
    private final RotaryEmbedding rope;
    private DecoderTaskGraphs graphs;
    /** The vision tower and projector on the device, built when first asked for. */
    private TornadoVisionEncoder visionEncoder;
    /**
     * Per layer: the host cache whose entries [0, residentLength) the device cache holds, and how many of them
     * ([0, hostLength)) the host cache holds too; the rest were computed on the device and are saved to the host
     * cache only when another cache takes the layer.
     */
    private final WeakReference<?>[] residentCache;
    private final int[] residentLength;
    private final int[] hostLength;
    /** The stream whose rows the device's residual buffer holds. */
    private WeakReference<TornadoResidualStream> residentStream;
    private long restoredEntries;
    private long savedEntries;

    /** The backend on TornadoVM's default device. */
    public static TornadoBackend of(ModelParts parts) {
        return new TornadoBackend(parts, Devices.select(null), false);
    }

    /**
     * A factory for {@code LlamaModel.load} / {@code MultimodalModel.load} on device {@code B:D} (null: TornadoVM's
     * default device); the device is looked up here, before any model is loaded.
     */
    public static Function<ModelParts, Backend> on(String deviceId) {
        TornadoDevice device = Devices.select(deviceId);
        return parts -> new TornadoBackend(parts, device, false);
    }

    /**
     * The backend for a model's parts (the checkpoint's row-major views; they are read, never rearranged) on
     * {@code device}; {@code profile} counts the bytes TornadoVM moves ({@link #transferredBytes()}).
     */
    public TornadoBackend(ModelParts parts, TornadoDevice device, boolean profile) {
        TornadoRuntimeAvailability.require();
        LlamaConfig config = parts.config();
        if (config.headDim() > dev.mod4j.tornado.kernels.Attention.MAX_HEAD_DIM) {
            throw new UnsupportedOperationException("head_dim " + config.headDim() + " exceeds the TornadoVM attention"
                    + " kernel's " + dev.mod4j.tornado.kernels.Attention.MAX_HEAD_DIM);
        }
        if (!dev.mod4j.loaders.config.Activations.isSilu(config.hiddenAct())) {
            throw new dev.mod4j.loaders.config.ConfigException("hidden_act", "'" + config.hiddenAct() + "' is not"
                    + " supported by the TornadoVM decoder (it runs SiLU, LLaMA's); use --backend cpu");
        }
        this.config = config;
        this.weights = parts.weights();
        this.visionParts = parts.vision();
        this.device = device;
        this.profile = profile;
        // F16 matrices stay half on a device with fp16; otherwise (and for BF16/F32) they are float32 on the device.
        this.halfFloatDevice = Devices.supportsHalfFloat(device);
        this.checkpointMatrices = WeightPrecision.checkpointMatrices(weights);
        this.precision = WeightPrecision.forDevice(halfFloatDevice, checkpointMatrices);
        this.deviceWeights = DeviceWeights.load(config, weights, precision);
        this.rope = parts.rope();
        this.residentCache = new WeakReference<?>[config.numHiddenLayers()];
        this.residentLength = new int[config.numHiddenLayers()];
        this.hostLength = new int[config.numHiddenLayers()];
    }

    @Override
    public String name() {
        // "weights f16", "weights f32" (an F32 checkpoint), "weights f32 from F16" (widened at load) ...
        boolean widened = checkpointMatrices != null && !checkpointMatrices.name().equalsIgnoreCase(precision.label);
        return "tornadovm (" + Devices.backendName(device) + " " + device.getPhysicalDevice().getDeviceName()
                + ", weights " + precision.label + (widened ? " from " + checkpointMatrices : "")
                + (halfFloatDevice ? ", device has fp16" : ", device has no fp16") + ")";
    }

    /** The precision of the weight matrices on the device. */
    public WeightPrecision weightPrecision() {
        return precision;
    }

    /** The device the kernels run on. */
    public TornadoDevice device() {
        return device;
    }

    @Override
    public synchronized ResidualStream newStream(int capacity) {
        graphsFor(capacity);
        return new TornadoResidualStream(this, config, capacity);
    }

    /** The stream's host rows ({@link TornadoResidualStream#host}); everything else it holds is on the device. */
    @Override
    public long streamHeapBytes(int capacity) {
        return (long) capacity * config.hiddenSize() * Float.BYTES;
    }

    /** The device KV cache and activation buffers of {@link DeviceMemoryPlan} (the weights are the model's). */
    @Override
    public long sessionDeviceBytes(int capacity) {
        DeviceMemoryPlan plan = DeviceMemoryPlan.of(config, precision, Math.max(capacity, 1));
        return plan.kvCacheBytes() + plan.activationBytes();
    }

    /** The weights this backend was built from: the checkpoint's views, which it reads but does not rearrange. */
    @Override
    public LlamaWeights hostWeights() {
        return weights;
    }

    /** The vision tower and projector as task graphs on this device; their weights are uploaded on the first call. */
    @Override
    public synchronized VisionEncoder vision() {
        if (visionParts == null) {
            throw new IllegalStateException("this model has no vision tower");
        }
        if (visionEncoder == null) {
            visionEncoder = new TornadoVisionEncoder(visionParts, device, halfFloatDevice, this);
        }
        return visionEncoder;
    }

    /** Encoder layers the device has run so far (every image's, all together); 0 before the first image. */
    public synchronized long encoderLayersRun() {
        return visionEncoder == null ? 0 : visionEncoder.encoderLayersRun();
    }

    /** Projector passes the device has run so far. */
    public synchronized long projectorRuns() {
        return visionEncoder == null ? 0 : visionEncoder.projectorRuns();
    }

    /** Images the device has run through a ConvNeXt trunk so far (LLaVA-HR's slow branch, Mini-Gemini's aux tower). */
    public synchronized long convNextImagesRun() {
        return visionEncoder == null ? 0 : visionEncoder.convNextImagesRun();
    }

    /** The task graphs, rebuilt with a larger device KV cache and stream when a session needs more than they hold. */
    private DecoderTaskGraphs graphsFor(int maxRows) {
        if (graphs == null || graphs.capacity() < maxRows) {
            DeviceMemoryPlan.of(config, precision, Math.max(maxRows, 1)).requireFits(device.getMaxGlobalMemory(),
                    device.getPhysicalDevice().getDeviceName(), maxRows);
            if (graphs != null) {
                // The device copies are about to go: write what only the device holds back to the host first.
                evictStream();
                for (int layer = 0; layer < residentCache.length; layer++) {
                    saveToHost(layer);
                }
                graphs.close();
            }
            graphs = new DecoderTaskGraphs(config, deviceWeights, rope, Math.max(maxRows, 1), device, profile);
            Arrays.fill(residentCache, null);
            Arrays.fill(residentLength, 0);
            Arrays.fill(hostLength, 0);
            residentStream = null;
        }
        return graphs;
    }

    // ---- the residual stream's operations (called by TornadoResidualStream) -------------------------------------

    /** Makes the device's residual buffer hold {@code stream}'s rows; returns the graphs to run on them. */
    private DecoderTaskGraphs claim(TornadoResidualStream stream) {
        DecoderTaskGraphs g = graphsFor(stream.capacity());
        TornadoResidualStream resident = residentStream == null ? null : residentStream.get();
        if (resident != stream) {
            evictStream();
            residentStream = new WeakReference<>(stream);
        }
        if (!stream.onDevice) {
            if (stream.rows() > 0) {
                g.putRows(stream.host, stream.rows());
            }
            stream.onDevice = true;
        }
        return g;
    }

    /** Downloads the resident stream's rows into its host copy, so that another stream can use the device buffer. */
    private void evictStream() {
        TornadoResidualStream resident = residentStream == null ? null : residentStream.get();
        if (resident != null && resident.onDevice) {
            if (!resident.hostCurrent && resident.rows() > 0) {
                graphs.downloadRows(resident.host, resident.rows());
            }
            resident.hostCurrent = true;
            resident.onDevice = false;
        }
        residentStream = null;
    }

    synchronized void decoderLayer(TornadoResidualStream stream, int layer, int[] processedRows, int rows,
                                   int[] positions, int[] tokenIndices, float[] mlpGate, LayerKvCache cache) {
        if (rows == 0) {
            return;
        }
        int base = cache.length();
        if (base + rows > stream.capacity()) {
            throw new IllegalStateException("KV cache full: " + base + " + " + rows + " > capacity " + stream.capacity());
        }
        DecoderTaskGraphs g = claim(stream);
        ensureResident(g, layer, cache, base);

        DecoderTaskGraphs.Block b = g.blockFor(rows);
        for (int r = 0; r < rows; r++) {
            b.rowIndex.set(r, processedRows == null ? r : processedRows[r]);
            g.rotary().requireHolds(positions[r]);
            b.positions.set(r, positions[r]);
            b.mlpGate.set(r, mlpGate == null ? 1f : mlpGate[r]);
        }
        b.step.set(dev.mod4j.tornado.kernels.Step.ROWS, rows);
        b.step.set(dev.mod4j.tornado.kernels.Step.BASE, base);
        b.step.set(dev.mod4j.tornado.kernels.Step.LAYER, layer);
        g.run(b, rows);
        stream.hostCurrent = false;
        // Keys and values stay on the device; the host cache records the entries' positions and tokens.
        cache.reserve(rows, positions, tokenIndices);
        residentLength[layer] = base + rows;
    }

    synchronized void scaleRows(TornadoResidualStream stream, int[] rows, float[] factors, int count) {
        claim(stream).scaleRows(rows, factors, count);
        stream.hostCurrent = false;
    }

    synchronized void keepRows(TornadoResidualStream stream, int[] survivors, int count) {
        claim(stream).keepRows(survivors, count);
        stream.hostCurrent = false;
    }

    synchronized void logits(TornadoResidualStream stream, int row, float[] out, int offset) {
        claim(stream).logits(row, out, offset);
    }

    synchronized float[] rowScores(TornadoResidualStream stream, int[] rows, int count, int normLayer, float[] weight,
                                   float[] bias, int outputs) {
        return claim(stream).rowScores(rows, count, normLayer, weight, bias, outputs);
    }

    synchronized float[] attentionFrom(TornadoResidualStream stream, int queryRow, int layer, int[] positions) {
        return claim(stream).attentionFrom(queryRow, layer, positions);
    }

    /** Brings the stream's host copy up to date (a download, unless it is already current). */
    synchronized void download(TornadoResidualStream stream) {
        DecoderTaskGraphs g = claim(stream);
        if (!stream.hostCurrent && stream.rows() > 0) {
            g.downloadRows(stream.host, stream.rows());
        }
        stream.hostCurrent = true;
    }

    /** Writes what only the device holds of {@code cache} (if it is the one resident for {@code layer}) to the host. */
    synchronized void copyCacheToHost(int layer, LayerKvCache cache) {
        WeakReference<?> ref = residentCache[layer];
        if (ref != null && ref.get() == cache) {
            saveToHost(layer);
        }
    }

    /** Makes the device cache of {@code layer} hold the entries [0, base) of {@code cache}. */
    private void ensureResident(DecoderTaskGraphs g, int layer, LayerKvCache cache, int base) {
        WeakReference<?> ref = residentCache[layer];
        if (ref != null && ref.get() == cache && base <= residentLength[layer]) {
            // Entries [0, base) were written by this backend and nothing has overwritten them since (a cleared or
            // truncated cache only lowers the length; what lies past it will be overwritten).
            hostLength[layer] = Math.min(hostLength[layer], base);
            residentLength[layer] = base;
            return;
        }
        saveToHost(layer);
        if (base > 0) {
            g.restore(layer, cache.keys(), cache.values(), 0, base);
            restoredEntries += base;
        }
        residentCache[layer] = new WeakReference<>(cache);
        residentLength[layer] = base;
        hostLength[layer] = base;
    }

    /** Writes the entries of {@code layer} that only the device holds into their host cache (if it is still alive). */
    private void saveToHost(int layer) {
        LayerKvCache previous = residentCache[layer] == null ? null : (LayerKvCache) residentCache[layer].get();
        if (previous != null) {
            int end = Math.min(residentLength[layer], previous.length());
            if (end > hostLength[layer]) {
                graphs.save(layer, previous.keys(), previous.values(), hostLength[layer], end - hostLength[layer]);
                savedEntries += end - hostLength[layer];
            }
            hostLength[layer] = Math.max(hostLength[layer], end);
        }
    }

    /** Token {@code tokenId}'s embedding into {@code hidden} at row {@code row}. */
    void embed(int tokenId, float[] hidden, int row) {
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

    /** KV-cache entries written from the device back to host caches so far (see {@link #saveToHost}). */
    public synchronized long savedEntries() {
        return savedEntries;
    }

    /** Bytes moved between host and device so far, as TornadoVM's profiler counts them. */
    public record TransferredBytes(long toDevice, long toHost) {
        public long total() {
            return toDevice + toHost;
        }
    }

    /**
     * Bytes TornadoVM moved between host and device so far, over every graph execution since the graphs were built
     * (the weights' upload included). Counted only by a backend built with {@code profile = true}; zeros otherwise.
     */
    public synchronized TransferredBytes transferredBytes() {
        return graphs == null ? new TransferredBytes(0, 0) : new TransferredBytes(graphs.bytesToDevice(),
                graphs.bytesToHost());
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
        if (visionEncoder != null) {
            visionEncoder.close();
            visionEncoder = null;
        }
        deviceWeights = null;
    }
}
