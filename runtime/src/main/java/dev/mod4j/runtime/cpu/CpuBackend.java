package dev.mod4j.runtime.cpu;

import dev.mod4j.loaders.config.LlamaConfig;
import dev.mod4j.runtime.backend.Backend;
import dev.mod4j.runtime.backend.ResidualStream;
import dev.mod4j.runtime.model.DecoderLayerWeights;
import dev.mod4j.runtime.model.LayerKvCache;
import dev.mod4j.runtime.model.LlamaWeights;
import dev.mod4j.runtime.model.RotaryEmbedding;
import jdk.incubator.vector.FloatVector;

/** The decoder on the CPU: Vector API kernels, matrix products over all rows of a batch, all cores. */
public final class CpuBackend implements Backend {
    private final LlamaConfig config;
    private final LlamaWeights weights;
    private final RotaryEmbedding rope;
    private final Parallel parallel;

    /** Weight dtypes whose kernels this JVM has already compiled (see {@link MatmulKernel#warmUp}). */
    private static final java.util.Set<dev.mod4j.loaders.safetensors.DType> WARMED =
            java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** The CPU backend for a model's parts, on the shared thread pool; compiles the kernels for its dtypes once. */
    public static CpuBackend of(dev.mod4j.runtime.model.LlamaModel.Parts parts) {
        var dtypes = new java.util.HashSet<dev.mod4j.loaders.safetensors.DType>();
        dtypes.add(parts.weights().lmHead().dtype());
        parts.weights().layers().forEach(l -> dtypes.add(l.qProj().dtype()));
        dtypes.removeAll(WARMED);
        if (!dtypes.isEmpty()) {
            // Without this the first long prompt runs the Vector API interpreted, thousands of times slower.
            MatmulKernel.warmUp(dtypes.toArray(new dev.mod4j.loaders.safetensors.DType[0]));
            AttentionKernel.warmUp();
            WARMED.addAll(dtypes);
        }
        return new CpuBackend(parts.config(), parts.weights(), parts.rope());
    }

    public CpuBackend(LlamaConfig config, LlamaWeights weights, RotaryEmbedding rope) {
        this(config, weights, rope, Parallel.common());
    }

    public CpuBackend(LlamaConfig config, LlamaWeights weights, RotaryEmbedding rope, Parallel parallel) {
        this.config = config;
        this.weights = weights;
        this.rope = rope;
        this.parallel = parallel;
    }

    @Override
    public String name() {
        return "cpu (" + parallel.threads() + " threads, " + FloatVector.SPECIES_PREFERRED.vectorBitSize()
                + "-bit vectors)";
    }

    /** Scratch buffers of one session, sized for the largest batch; never reallocated in the token loop. */
    static final class CpuWorkspace {
        final int maxRows;
        final float[] normed;
        final float[] query;
        final float[] key;
        final float[] value;
        final float[] attention;
        final float[] projected;
        final float[] gate;
        final float[] up;

        CpuWorkspace(LlamaConfig c, int maxRows) {
            this.maxRows = maxRows;
            int d = c.hiddenSize();
            this.normed = new float[maxRows * d];
            this.query = new float[maxRows * c.qDim()];
            this.key = new float[maxRows * c.kvDim()];
            this.value = new float[maxRows * c.kvDim()];
            this.attention = new float[maxRows * c.qDim()];
            this.projected = new float[maxRows * d];
            this.gate = new float[Math.multiplyExact(maxRows, c.intermediateSize())];
            this.up = new float[maxRows * c.intermediateSize()];
        }
    }

    @Override
    public ResidualStream newStream(int capacity) {
        return new CpuResidualStream(this, capacity);
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
        MatmulKernel.multiply(ws.query, 0, ws.normed, 0, rows, w.qProj(), parallel);
        MatmulKernel.multiply(ws.key, 0, ws.normed, 0, rows, w.kProj(), parallel);
        MatmulKernel.multiply(ws.value, 0, ws.normed, 0, rows, w.vProj(), parallel);
        if (w.qBias() != null) {
            VectorKernels.addBias(ws.query, rows, w.qBias());
            VectorKernels.addBias(ws.key, rows, w.kBias());
            VectorKernels.addBias(ws.value, rows, w.vBias());
        }
        int base = cache.reserve(rows, positions, tokenIndices);
        parallel.forEach(rows, r -> {
            rope.rotate(ws.query, r * qDim, config.numAttentionHeads(), positions[r]);
            rope.rotate(ws.key, r * kvDim, config.numKeyValueHeads(), positions[r]);
        });
        System.arraycopy(ws.key, 0, cache.keys(), base * kvDim, rows * kvDim);
        System.arraycopy(ws.value, 0, cache.values(), base * kvDim, rows * kvDim);
        AttentionKernel.attend(ws.attention, ws.query, rows, config.numAttentionHeads(), config.numKeyValueHeads(),
                config.headDim(), cache, base, parallel);
        MatmulKernel.multiply(ws.projected, 0, ws.attention, 0, rows, w.oProj(), parallel);
        if (w.oBias() != null) {
            VectorKernels.addBias(ws.projected, rows, w.oBias());
        }
        VectorKernels.add(hidden, ws.projected, 0, rows * d);

        // MLP block: x' = h + gate · down(silu(gate_proj(LN2(h))) * up_proj(LN2(h))).
        parallel.forEach(rows, r -> VectorKernels.rmsNorm(ws.normed, r * d, hidden, r * d, w.postAttentionLayernorm(),
                d, eps));
        MatmulKernel.multiply(ws.gate, 0, ws.normed, 0, rows, w.gateProj(), parallel);
        MatmulKernel.multiply(ws.up, 0, ws.normed, 0, rows, w.upProj(), parallel);
        if (w.gateBias() != null) {
            VectorKernels.addBias(ws.gate, rows, w.gateBias());
            VectorKernels.addBias(ws.up, rows, w.upBias());
        }
        parallel.forEach(rows, r -> VectorKernels.siluMultiply(ws.gate, ws.up, r * m, m));
        MatmulKernel.multiply(ws.projected, 0, ws.gate, 0, rows, w.downProj(), parallel);
        if (w.downBias() != null) {
            VectorKernels.addBias(ws.projected, rows, w.downBias());
        }
        if (mlpGate == null) {
            VectorKernels.add(hidden, ws.projected, 0, rows * d);
        } else {
            for (int r = 0; r < rows; r++) {
                VectorKernels.addScaled(hidden, ws.projected, mlpGate[r], r * d, d);
            }
        }
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
