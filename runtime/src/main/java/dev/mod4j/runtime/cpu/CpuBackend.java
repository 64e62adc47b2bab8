package dev.mod4j.runtime.cpu;

import dev.mod4j.loaders.config.LlamaConfig;
import dev.mod4j.loaders.progress.ProgressListener;
import dev.mod4j.loaders.progress.ProgressTask;
import dev.mod4j.runtime.backend.Backend;
import dev.mod4j.runtime.backend.ResidualStream;
import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.runtime.backend.ModelParts;
import dev.mod4j.runtime.backend.VisionEncoder;
import dev.mod4j.runtime.backend.VisionParts;
import dev.mod4j.runtime.tensor.Linear;
import dev.mod4j.runtime.tensor.Q8_0;
import dev.mod4j.runtime.tensor.WeightMatrix;
import dev.mod4j.runtime.weights.DecoderLayerWeights;
import dev.mod4j.runtime.backend.LayerKvCache;
import dev.mod4j.runtime.weights.LlamaWeights;
import dev.mod4j.runtime.backend.RotaryEmbedding;
import jdk.incubator.vector.FloatVector;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * The model on the CPU: Vector API kernels, matrix products over all rows of a batch, all cores. Weights read into
 * memory are interleaved for the decode kernels when the backend is built (see {@link #prepare}).
 */
public final class CpuBackend implements Backend {
    private final LlamaConfig config;
    private final LlamaWeights weights;
    private final RotaryEmbedding rope;
    private final Parallel parallel;
    private final VisionParts vision;
    /** The memory of weights quantized at load (null: none); closed with the backend. */
    private final Arena quantizedMemory;

    /** Weight dtypes whose kernels this JVM has already compiled (see {@link MatmulKernel#warmUp}). */
    private static final Set<DType> WARMED = ConcurrentHashMap.newKeySet();

    /**
     * The chunk in which weights copied into memory are {@link WeightMatrix interleaved} for the decode kernels: one
     * vector, so that a vector step over 4 rows reads 4 consecutive chunks.
     */
    public static final int WEIGHT_CHUNK_BYTES = WeightVectors.VECTOR_BYTES;

    /**
     * The CPU backend for a model's parts, on the shared thread pool; compiles the kernels for its dtypes once.
     * Takes over the parts' weight memory: matrices read into memory are rearranged in place.
     */
    public static CpuBackend of(ModelParts parts) {
        return of(parts, null);
    }

    /**
     * {@link #of(ModelParts)} with the decoder's projections and LM head quantized at load to {@code weights}
     * ({@link DType#Q8_0}; null keeps the checkpoint's dtype): {@code --weights q8_0}.
     */
    public static Function<ModelParts, Backend> quantizing(DType weights) {
        if (weights != null && weights != DType.Q8_0) {
            throw new IllegalArgumentException("weights can be quantized to Q8_0 only, not " + weights);
        }
        return parts -> of(parts, weights);
    }

    private static CpuBackend of(ModelParts parts, DType quantized) {
        // Quantized copies are freed when the backend closes, not when a collector gets to them: a second model
        // loaded after this one is closed should not find both in memory.
        Arena quantizedMemory = quantized != null ? Arena.ofShared() : null;
        LlamaWeights prepared = prepare(parts.weights(), quantized, quantizedMemory);
        Set<DType> dtypes = new HashSet<>();
        dtypes.add(prepared.lmHead().dtype());
        prepared.layers().forEach(l -> dtypes.add(l.qProj().weight().dtype()));
        dtypes.removeAll(WARMED);
        if (!dtypes.isEmpty()) {
            // Without this the first long prompt runs the Vector API interpreted, thousands of times slower.
            MatmulKernel.warmUp(dtypes.toArray(new DType[0]));
            AttentionKernel.warmUp();
            WARMED.addAll(dtypes);
        }
        return new CpuBackend(parts.config(), prepared, parts.rope(), parts.vision(), Parallel.common(),
                quantizedMemory);
    }

    /**
     * The decoder's weights in this backend's layout: every projection and the LM head (the embedding too when it
     * is the LM head) interleaved in place where the memory is ours (read into memory, not mapped) and the shape
     * allows; the embedding otherwise stays as it is. Call once per opened checkpoint: a second call would
     * rearrange the same memory again.
     */
    public static LlamaWeights prepare(LlamaWeights views) {
        return prepare(views, null);
    }

    /**
     * As {@link #prepare(LlamaWeights)}, with the projections and LM head quantized to {@code quantized} (Q8_0, or
     * null for none) into memory of their own; a matrix whose rows are no whole number of blocks stays as it is.
     * The pages of a memory-mapped source are released from resident memory once it is quantized.
     */
    public static LlamaWeights prepare(LlamaWeights views, DType quantized) {
        return prepare(views, quantized, Arena.ofAuto()); // lives as long as the matrices quantized into it
    }

    private static LlamaWeights prepare(LlamaWeights views, DType quantized, Arena quantizedMemory) {
        UnaryOperator<WeightMatrix> prepare = m -> forDecoding(m, quantized, quantizedMemory);
        UnaryOperator<Linear> linear = l -> l.withWeight(prepare.apply(l.weight()));
        WeightMatrix embed = views.tiedEmbeddings() ? prepare.apply(views.embedTokens()) : views.embedTokens();
        List<DecoderLayerWeights> layers = new ArrayList<>();
        ProgressTask progress = ProgressListener.current().start(quantized != null
                ? "quantize weights to " + quantized + " (layers)" : "prepare weights (layers)", views.layers().size());
        for (DecoderLayerWeights l : views.layers()) {
            layers.add(new DecoderLayerWeights(l.index(), l.inputLayernorm(), linear.apply(l.qProj()),
                    linear.apply(l.kProj()), linear.apply(l.vProj()), linear.apply(l.oProj()),
                    l.postAttentionLayernorm(), linear.apply(l.gateProj()), linear.apply(l.upProj()),
                    linear.apply(l.downProj())));
            progress.advance(1);
        }
        progress.close();
        WeightMatrix head = views.tiedEmbeddings() ? embed : prepare.apply(views.lmHead());
        return new LlamaWeights(embed, List.copyOf(layers), views.norm(), head);
    }

    /**
     * {@code m} quantized (if asked and its shape allows), else interleaved in place for the decode kernels when its
     * memory is ours and its shape allows.
     */
    private static WeightMatrix forDecoding(WeightMatrix m, DType quantized, Arena arena) {
        if (quantized == DType.Q8_0 && m.inFeatures() % Q8_0.BLOCK == 0) {
            WeightMatrix q = Q8_0.quantize(m, arena);
            if (q != m && m.data().isMapped()) {
                // This backend reads only the copy now: give the file's pages back (MADV_DONTNEED), so resident
                // memory holds the Q8_0 weights, not both. Safe for a file mapping: a later read faults them in.
                m.data().unload();
            }
            return q;
        }
        boolean owned = !m.data().isReadOnly();
        return owned && WeightMatrix.canInterleave(m.dtype(), m.outFeatures(), m.inFeatures(), WEIGHT_CHUNK_BYTES)
                ? m.interleaveInPlace(WEIGHT_CHUNK_BYTES) : m;
    }

    /** A backend over weights already in this backend's layout ({@link #prepare}), without vision parts. */
    public CpuBackend(LlamaConfig config, LlamaWeights weights, RotaryEmbedding rope, Parallel parallel) {
        this(config, weights, rope, null, parallel, null);
    }

    private CpuBackend(LlamaConfig config, LlamaWeights weights, RotaryEmbedding rope, VisionParts vision,
                       Parallel parallel, Arena quantizedMemory) {
        this.quantizedMemory = quantizedMemory;
        this.config = config;
        this.weights = weights;
        this.rope = rope;
        this.vision = vision;
        this.parallel = parallel;
    }

    @Override
    public void close() {
        if (quantizedMemory != null && quantizedMemory.scope().isAlive()) {
            quantizedMemory.close();
        }
    }

    @Override
    public String name() {
        return "cpu (" + parallel.threads() + " threads, " + FloatVector.SPECIES_PREFERRED.vectorBitSize()
                + "-bit vectors)";
    }

    /**
     * Rows of intermediate activations the MLP block holds at a time, in units of intermediate_size floats. Its
     * two intermediate buffers are the largest per-row state (2 × intermediate_size floats a row, 84 MiB for 600
     * rows of a 7B model); longer batches run the block in passes over slices of the intermediate features, so
     * the buffers stay this small.
     */
    static final int MLP_BUFFER_ROWS = 128;

    /** Scratch buffers of one session, sized for the largest batch; never reallocated in the token loop. */
    static final class CpuWorkspace {
        final int maxRows;
        final float[] normed;
        final float[] query;
        final float[] attention;
        final float[] projected;
        final float[] gate;
        final float[] up;

        CpuWorkspace(LlamaConfig c, int maxRows) {
            this.maxRows = maxRows;
            int d = c.hiddenSize();
            this.normed = new float[maxRows * d];
            this.query = new float[maxRows * c.qDim()];
            this.attention = new float[maxRows * c.qDim()];
            this.projected = new float[maxRows * d];
            int buffer = Math.max(Math.min(maxRows, MLP_BUFFER_ROWS) * c.intermediateSize(),
                    Math.multiplyExact(maxRows, Math.min(c.intermediateSize(), PackedPanelGemm.K_BLOCK)));
            this.gate = new float[buffer];
            this.up = new float[buffer];
        }
    }

    @Override
    public ResidualStream newStream(int capacity) {
        return new CpuResidualStream(this, capacity);
    }

    /** Heap bytes of a stream of {@code capacity} rows: hidden and gathered rows, q/attention and MLP scratch. */
    public static long streamHeapBytes(LlamaConfig c, int capacity) {
        long perRow = 4L * c.hiddenSize() + 2L * c.qDim() + 2L * c.kvDim() + 2L * c.intermediateSize();
        return perRow * capacity * Float.BYTES;
    }

    @Override
    public long streamHeapBytes(int capacity) {
        return streamHeapBytes(config, capacity);
    }

    @Override
    public long sessionDeviceBytes(int capacity) {
        return LayerKvCache.heapBytes(config, capacity) + streamHeapBytes(capacity);
    }

    @Override
    public VisionEncoder vision() {
        if (vision == null) {
            throw new IllegalStateException("this model has no vision tower");
        }
        return new CpuVisionEncoder(vision, parallel);
    }

    @Override
    public LlamaWeights hostWeights() {
        return weights;
    }

    LlamaConfig config() {
        return config;
    }

    LlamaWeights weights() {
        return weights;
    }

    RotaryEmbedding rope() {
        return rope;
    }

    /** The threads this backend's kernels run on (also the schedules' attention ranking, {@link CpuResidualStream}). */
    Parallel parallel() {
        return parallel;
    }

    CpuWorkspace newWorkspace(int maxRows) {
        return new CpuWorkspace(config, maxRows);
    }

    /**
     * Runs decoder layer {@code layer} on {@code rows} host rows of {@code hidden} in place (see
     * {@link ResidualStream#decoderLayer}); the keys and values go straight into the host cache.
     */
    void decoderLayer(int layer, CpuWorkspace ws, float[] hidden, int rows, int[] positions,
                      int[] tokenIndices, float[] mlpGate, LayerKvCache cache) {
        if (rows > ws.maxRows) {
            throw new IllegalArgumentException(rows + " rows exceed the workspace's " + ws.maxRows);
        }
        if (rows == 0) {
            return;
        }
        DecoderLayerWeights w = weights.layers().get(layer);
        int d = config.hiddenSize();
        int qDim = config.qDim();
        int kvDim = config.kvDim();
        int m = config.intermediateSize();
        double eps = config.rmsNormEps();

        // Attention block: h = x + o_proj(attn(rope(q), rope(k), v)) with q, k, v from LN1(x).
        parallel.forEach(rows, r -> VectorKernels.rmsNorm(ws.normed, r * d, hidden, r * d, w.inputLayernorm(), d, eps));
        // Keys and values are computed straight into this layer's cache entries.
        int base = cache.reserve(rows, positions, tokenIndices);
        float[] keys = cache.keys();
        float[] values = cache.values();
        int kvOffset = base * kvDim;
        MatmulKernel.linear(ws.query, 0, ws.normed, 0, rows, w.qProj(), parallel);
        MatmulKernel.linear(keys, kvOffset, ws.normed, 0, rows, w.kProj(), parallel);
        MatmulKernel.linear(values, kvOffset, ws.normed, 0, rows, w.vProj(), parallel);
        parallel.forEach(rows, r -> {
            rope.rotate(ws.query, r * qDim, config.numAttentionHeads(), positions[r]);
            rope.rotate(keys, kvOffset + r * kvDim, config.numKeyValueHeads(), positions[r]);
        });
        AttentionKernel.attend(ws.attention, ws.query, rows, config.numAttentionHeads(), config.numKeyValueHeads(),
                config.headDim(), cache, base, parallel);
        MatmulKernel.linear(ws.projected, 0, ws.attention, 0, rows, w.oProj(), parallel);
        VectorKernels.add(hidden, ws.projected, 0, rows * d);

        // MLP block: x' = h + gate · down(act(gate_proj(LN2(h))) * up_proj(LN2(h))), act = hidden_act (SiLU in LLaMA).
        parallel.forEach(rows, r -> VectorKernels.rmsNorm(ws.normed, r * d, hidden, r * d, w.postAttentionLayernorm(),
                d, eps));
        int passWidth = mlpPassWidth(rows, m, ws.gate.length);
        // One pass for short batches; otherwise passes over slices of the intermediate features: gate and up
        // produce one slice for all rows, down adds that slice's share of its k sum. Slices start at multiples of
        // the packed product's k block, so the down sums come out bit for bit as unsplit, and every weight is
        // packed once per batch (passes over rows would pack all three matrices again for each pass).
        for (int c0 = 0; c0 < m; c0 += passWidth) {
            int width = Math.min(passWidth, m - c0);
            MatmulKernel.multiplyBlock(ws.gate, 0, ws.normed, 0, rows, w.gateProj().weight(), c0, width, 0, d, false,
                    parallel);
            MatmulKernel.multiplyBlock(ws.up, 0, ws.normed, 0, rows, w.upProj().weight(), c0, width, 0, d, false,
                    parallel);
            if (w.gateProj().bias() != null) {
                VectorKernels.addBias(ws.gate, rows, w.gateProj().bias(), c0, width);
            }
            if (w.upProj().bias() != null) {
                VectorKernels.addBias(ws.up, rows, w.upProj().bias(), c0, width);
            }
            parallel.forEach(rows, r -> VectorKernels.activationMultiply(config.hiddenAct(), ws.gate, ws.up, r * width,
                    width));
            MatmulKernel.multiplyBlock(ws.projected, 0, ws.gate, 0, rows, w.downProj().weight(), 0, d, c0, width,
                    c0 > 0, parallel);
        }
        if (w.downProj().bias() != null) {
            VectorKernels.addBias(ws.projected, rows, w.downProj().bias());
        }
        if (mlpGate == null) {
            VectorKernels.add(hidden, ws.projected, 0, rows * d);
        } else {
            for (int r = 0; r < rows; r++) {
                VectorKernels.addScaled(hidden, ws.projected, mlpGate[r], r * d, d);
            }
        }
    }

    /**
     * Intermediate features per MLP pass for a batch of {@code rows}: all {@code m} when they fit the buffer of
     * {@code bufferFloats}, else the most whole k blocks that do (at least one: the buffer holds that many).
     */
    static int mlpPassWidth(int rows, int m, int bufferFloats) {
        if ((long) rows * m <= bufferFloats || rows < MatmulKernel.PACKING_MIN_ROWS) {
            return m;
        }
        int kBlock = PackedPanelGemm.K_BLOCK;
        return Math.max(kBlock, bufferFloats / rows / kBlock * kBlock);
    }

    /** Final norm and output projection of hidden row {@code row}; writes vocab_size logits at {@code logitsOffset}. */
    void logits(CpuWorkspace ws, float[] hidden, int row, float[] logits, int logitsOffset) {
        int d = config.hiddenSize();
        VectorKernels.rmsNorm(ws.normed, 0, hidden, row * d, weights.norm(), d, config.rmsNormEps());
        MatmulKernel.multiply(logits, logitsOffset, ws.normed, 0, 1, weights.lmHead(), parallel);
    }

    /** Widens token {@code tokenId}'s embedding into {@code hidden} at row {@code row}. */
    void embed(int tokenId, float[] hidden, int row) {
        VectorKernels.widenRow(weights.embedTokens(), tokenId, hidden, row * config.hiddenSize());
    }
}
