package dev.mod4j.tornado;

import dev.mod4j.loaders.config.LlamaConfig;
import dev.mod4j.tornado.kernels.Activations;
import dev.mod4j.tornado.kernels.Attention;
import dev.mod4j.tornado.kernels.KvCache;
import dev.mod4j.tornado.kernels.Matmul;
import dev.mod4j.tornado.kernels.Norms;
import dev.mod4j.tornado.kernels.Rotary;
import dev.mod4j.tornado.kernels.Step;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.ImmutableTaskGraph;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.TornadoExecutionResult;
import uk.ac.manchester.tornado.api.WorkerGrid;
import uk.ac.manchester.tornado.api.WorkerGrid1D;
import uk.ac.manchester.tornado.api.WorkerGrid2D;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.enums.ProfilerMode;
import uk.ac.manchester.tornado.api.exceptions.TornadoExecutionPlanException;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * The decoder as one TornadoVM execution plan of several task graphs that share device buffers:
 *
 * <ol>
 *   <li>{@code weights}: uploads every weight, the rotary tables and the KV cache once, and leaves them on the
 *       device ({@code persistOnDevice}); every other graph consumes them ({@code consumeFromDevice}).</li>
 *   <li>{@code block_N}: one transformer block for batches of up to N rows (N = 1, 16, 64, ..., capacity). The graph
 *       is built once and serves every layer and step: the layer index, row count and cache base arrive in a small
 *       {@link Step} array, and the kernels find the layer's weights and cache slice by offset. Per execution the
 *       host copies in the batch's hidden rows, positions and MLP gates and copies back the updated rows and the
 *       new (rotated) keys and values; several sizes exist so that a decode step moves one row, not a prompt's.</li>
 *   <li>{@code kv_restore}: writes host KV-cache entries into the device cache, for when the host cache and the
 *       device copy have diverged (another session used the layer in between).</li>
 *   <li>{@code logits}: final norm and {@code lm_head} of one row.</li>
 * </ol>
 */
final class DecoderTaskGraphs implements AutoCloseable {
    static final String WEIGHTS = "weights";
    static final String RESTORE = "kv_restore";
    static final String LOGITS = "logits";
    /** Rows the restore graph moves per execution. */
    static final int RESTORE_ROWS = 256;
    private static final int ELEMENTWISE_LOCAL_SIZE = 64;

    private final LlamaConfig config;
    private final DeviceWeights weights;
    private final int capacity;
    private final FloatArray keyCache;
    private final FloatArray valueCache;
    private final List<FloatArray> shared = new ArrayList<>();
    private final List<Block> blocks = new ArrayList<>();
    private final GridScheduler grids = new GridScheduler();
    private final KernelContext context = new KernelContext();
    private final TornadoExecutionPlan plan;
    private final int restoreGraph;
    private final int logitsGraph;

    // kv_restore buffers
    private final IntArray restoreStep = new IntArray(Step.SIZE);
    private final FloatArray restoreKeys;
    private final FloatArray restoreValues;
    private final WorkerGrid1D restoreGrid;

    // logits buffers
    private final FloatArray logitsInput;
    private final FloatArray logitsOutput;
    private final MemorySegment logitsInputSegment;
    private final MemorySegment logitsOutputSegment;

    private TornadoExecutionResult lastResult;

    /** The buffers of one {@code block_N} graph. */
    final class Block {
        final int maxRows;
        final String name;
        final boolean matrixVector;
        final IntArray step = new IntArray(Step.SIZE);
        final IntArray positions;
        final FloatArray mlpGate;
        final FloatArray hidden;
        final FloatArray key;
        final FloatArray value;
        final MemorySegment hiddenSegment;
        final MemorySegment keySegment;
        final MemorySegment valueSegment;
        int graphIndex;

        Block(int maxRows) {
            this.maxRows = maxRows;
            this.name = "block_" + maxRows;
            this.matrixVector = maxRows == 1;
            this.positions = new IntArray(maxRows);
            this.mlpGate = new FloatArray(maxRows);
            this.hidden = new FloatArray(maxRows * config.hiddenSize());
            this.key = new FloatArray(maxRows * config.kvDim());
            this.value = new FloatArray(maxRows * config.kvDim());
            this.hiddenSegment = hidden.getSegment();
            this.keySegment = key.getSegment();
            this.valueSegment = value.getSegment();
        }

        /** Sizes this graph's launches for {@code rows} rows. */
        void resize(int rows) {
            int d = config.hiddenSize();
            int m = config.intermediateSize();
            int half = config.headDim() / 2;
            grid("attn_norm").setGlobalWork((long) rows * Norms.LOCAL_SIZE, 1, 1);
            grid("mlp_norm").setGlobalWork((long) rows * Norms.LOCAL_SIZE, 1, 1);
            projection("q_proj", rows, config.qDim());
            projection("k_proj", rows, config.kvDim());
            projection("v_proj", rows, config.kvDim());
            projection("o_proj", rows, d);
            projection("gate_proj", rows, m);
            projection("up_proj", rows, m);
            projection("down_proj", rows, d);
            elementwise("rope_q", (long) rows * config.numAttentionHeads() * half);
            elementwise("rope_k", (long) rows * config.numKeyValueHeads() * half);
            elementwise("kv_append", (long) rows * config.kvDim());
            grid("attention").setGlobalWork((long) rows * config.numAttentionHeads() * Attention.TILE, 1, 1);
            elementwise("silu_mul", (long) rows * m);
        }

        private void projection(String task, int rows, int outFeatures) {
            if (matrixVector) {
                grid(task).setGlobalWork((long) outFeatures * Matmul.VECTOR_LOCAL_SIZE, 1, 1);
            } else {
                grid(task).setGlobalWork(roundUp(outFeatures, Matmul.TILE),
                        roundUp(rows, Matmul.TILE) / Matmul.ROWS_PER_ITEM, 1);
            }
        }

        private void elementwise(String task, long items) {
            grid(task).setGlobalWork(roundUp(items, ELEMENTWISE_LOCAL_SIZE), 1, 1);
        }

        private WorkerGrid grid(String task) {
            return grids.get(name + "." + task);
        }
    }

    DecoderTaskGraphs(LlamaConfig config, DeviceWeights weights, int capacity, TornadoDevice device, boolean profile) {
        this.config = config;
        this.weights = weights;
        this.capacity = capacity;
        long kvFloats = (long) config.numHiddenLayers() * capacity * config.kvDim();
        if (kvFloats > Integer.MAX_VALUE - 64) {
            throw new UnsupportedOperationException("a KV cache of " + config.numHiddenLayers() + " layers × " + capacity
                    + " tokens × " + config.kvDim() + " does not fit one TornadoVM FloatArray; use a shorter session");
        }
        this.keyCache = new FloatArray((int) kvFloats);
        this.valueCache = new FloatArray((int) kvFloats);
        shared.addAll(weights.all());
        shared.add(keyCache);
        shared.add(valueCache);
        this.restoreKeys = new FloatArray(RESTORE_ROWS * config.kvDim());
        this.restoreValues = new FloatArray(RESTORE_ROWS * config.kvDim());
        this.restoreGrid = new WorkerGrid1D(RESTORE_ROWS * config.kvDim());
        this.logitsInput = new FloatArray(config.hiddenSize());
        this.logitsOutput = new FloatArray(config.vocabSize());
        this.logitsInputSegment = logitsInput.getSegment();
        this.logitsOutputSegment = logitsOutput.getSegment();

        List<ImmutableTaskGraph> graphs = new ArrayList<>();
        graphs.add(weightsGraph().snapshot());
        for (int rows : bucketSizes(capacity)) {
            Block block = new Block(rows);
            block.graphIndex = graphs.size();
            graphs.add(blockGraph(block).snapshot());
            blocks.add(block);
        }
        restoreGraph = graphs.size();
        graphs.add(restoreGraph().snapshot());
        logitsGraph = graphs.size();
        graphs.add(logitsGraph().snapshot());

        plan = new TornadoExecutionPlan(graphs.toArray(ImmutableTaskGraph[]::new));
        plan.withDevice(device).withGridScheduler(grids);
        if (profile) {
            plan.withProfiler(ProfilerMode.SILENT);
        }
        // Transfer the weights now, once.
        lastResult = plan.withGraph(0).execute();
    }

    /** Batch sizes of the block graphs: 1 (decode), then 16, 64, 256, ... and the capacity itself. */
    static List<Integer> bucketSizes(int capacity) {
        List<Integer> sizes = new ArrayList<>();
        sizes.add(1);
        for (int n = 16; n < capacity; n *= 4) {
            sizes.add(n);
        }
        if (capacity > 1) {
            sizes.add(capacity);
        }
        return sizes;
    }

    int capacity() {
        return capacity;
    }

    /** The smallest block graph that holds {@code rows} rows. */
    Block blockFor(int rows) {
        for (Block b : blocks) {
            if (b.maxRows >= rows) {
                return b;
            }
        }
        throw new IllegalArgumentException(rows + " rows exceed the device KV capacity of " + capacity);
    }

    /** Runs one transformer block on the rows already in {@code block}'s buffers. */
    TornadoExecutionResult run(Block block, int rows) {
        block.resize(rows);
        lastResult = plan.withGraph(block.graphIndex).execute();
        return lastResult;
    }

    /** Writes {@code rows} host cache entries (keys, values [rows × kvDim]) at entry {@code first} of {@code layer}. */
    void restore(int layer, float[] keys, float[] values, int first, int rows) {
        int kvDim = config.kvDim();
        MemorySegment k = restoreKeys.getSegment();
        MemorySegment v = restoreValues.getSegment();
        for (int done = 0; done < rows; done += RESTORE_ROWS) {
            int n = Math.min(RESTORE_ROWS, rows - done);
            MemorySegment.copy(keys, (first + done) * kvDim, k, java.lang.foreign.ValueLayout.JAVA_FLOAT, 0, n * kvDim);
            MemorySegment.copy(values, (first + done) * kvDim, v, java.lang.foreign.ValueLayout.JAVA_FLOAT, 0, n * kvDim);
            restoreStep.set(Step.ROWS, n);
            restoreStep.set(Step.BASE, first + done);
            restoreStep.set(Step.LAYER, layer);
            restoreGrid.setGlobalWork(roundUp((long) n * kvDim, ELEMENTWISE_LOCAL_SIZE), 1, 1);
            lastResult = plan.withGraph(restoreGraph).execute();
        }
    }

    /** Final norm and lm_head of one hidden row into {@code logits[offset ..]}. */
    void logits(float[] hidden, int hiddenOffset, float[] logits, int offset) {
        MemorySegment.copy(hidden, hiddenOffset, logitsInputSegment, java.lang.foreign.ValueLayout.JAVA_FLOAT, 0,
                config.hiddenSize());
        lastResult = plan.withGraph(logitsGraph).execute();
        MemorySegment.copy(logitsOutputSegment, java.lang.foreign.ValueLayout.JAVA_FLOAT, 0, logits, offset,
                config.vocabSize());
    }

    TornadoExecutionResult lastResult() {
        return lastResult;
    }

    @Override
    public void close() {
        try {
            plan.freeDeviceMemory();
            plan.close();
        } catch (TornadoExecutionPlanException e) {
            throw new IllegalStateException("releasing the TornadoVM execution plan failed", e);
        }
    }

    // ---- graph construction -------------------------------------------------------------------------------------

    private TaskGraph weightsGraph() {
        TaskGraph g = new TaskGraph(WEIGHTS);
        List<FloatArray> touched = new ArrayList<>(shared);
        while (touched.size() % 8 != 0) {
            touched.add(new FloatArray(1));
        }
        g.transferToDevice(DataTransferMode.FIRST_EXECUTION, touched.toArray());
        for (int i = 0; i < touched.size(); i += 8) {
            g.task("touch_" + i / 8, KvCache::touch, touched.get(i), touched.get(i + 1), touched.get(i + 2),
                    touched.get(i + 3), touched.get(i + 4), touched.get(i + 5), touched.get(i + 6), touched.get(i + 7));
        }
        g.persistOnDevice(touched.toArray());
        return g;
    }

    private TaskGraph blockGraph(Block b) {
        LlamaConfig c = config;
        DeviceWeights w = weights;
        int d = c.hiddenSize();
        int qDim = c.qDim();
        int kvDim = c.kvDim();
        int m = c.intermediateSize();
        float eps = (float) c.rmsNormEps();
        float scale = (float) (1.0 / Math.sqrt(c.headDim()));
        int n = b.maxRows;
        FloatArray normed = new FloatArray(n * d);
        FloatArray query = new FloatArray(n * qDim);
        FloatArray attention = new FloatArray(n * qDim);
        FloatArray gate = new FloatArray(n * m);
        FloatArray up = new FloatArray(n * m);

        TaskGraph g = new TaskGraph(b.name);
        g.consumeFromDevice(WEIGHTS, shared.toArray());
        g.transferToDevice(DataTransferMode.EVERY_EXECUTION, b.step, b.hidden, b.positions, b.mlpGate);
        // Attention: h = x + o_proj(attn(rope(q), rope(k), v)) with q, k, v from LN1(x).
        g.task("attn_norm", Norms::rmsNorm, context, b.step, b.hidden, w.inputLayernorm(), d, normed, d, eps);
        projection(g, b, "q_proj", normed, w.qProj(), w.qBias(), query, d, qDim, Matmul.STORE);
        projection(g, b, "k_proj", normed, w.kProj(), w.kBias(), b.key, d, kvDim, Matmul.STORE);
        projection(g, b, "v_proj", normed, w.vProj(), w.vBias(), b.value, d, kvDim, Matmul.STORE);
        g.task("rope_q", Rotary::rotateHalf, context, b.step, b.positions, query, w.ropeCos(), w.ropeSin(),
                c.numAttentionHeads(), c.headDim());
        g.task("rope_k", Rotary::rotateHalf, context, b.step, b.positions, b.key, w.ropeCos(), w.ropeSin(),
                c.numKeyValueHeads(), c.headDim());
        g.task("kv_append", KvCache::append, context, b.step, b.key, b.value, keyCache, valueCache, kvDim, capacity);
        g.task("attention", Attention::causal, context, b.step, query, keyCache, valueCache, attention,
                c.numAttentionHeads(), c.numKeyValueHeads(), c.headDim(), capacity, scale);
        projection(g, b, "o_proj", attention, w.oProj(), w.oBias(), b.hidden, qDim, d, Matmul.ADD);
        // MLP: x' = h + gate · down(silu(gate_proj(LN2(h))) * up_proj(LN2(h))).
        g.task("mlp_norm", Norms::rmsNorm, context, b.step, b.hidden, w.postAttentionLayernorm(), d, normed, d, eps);
        projection(g, b, "gate_proj", normed, w.gateProj(), w.gateBias(), gate, d, m, Matmul.STORE);
        projection(g, b, "up_proj", normed, w.upProj(), w.upBias(), up, d, m, Matmul.STORE);
        g.task("silu_mul", Activations::siluMultiply, context, b.step, gate, up, m);
        projection(g, b, "down_proj", gate, w.downProj(), w.downBias(), b.hidden, m, d, Matmul.ADD_GATED);
        g.transferToHost(DataTransferMode.EVERY_EXECUTION, b.hidden, b.key, b.value);

        String p = b.name + ".";
        grids.addWorkerGrid(p + "attn_norm", grid1d(n * Norms.LOCAL_SIZE, Norms.LOCAL_SIZE));
        grids.addWorkerGrid(p + "mlp_norm", grid1d(n * Norms.LOCAL_SIZE, Norms.LOCAL_SIZE));
        for (String task : List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")) {
            if (b.matrixVector) {
                grids.addWorkerGrid(p + task, grid1d(Matmul.VECTOR_LOCAL_SIZE, Matmul.VECTOR_LOCAL_SIZE));
            } else {
                WorkerGrid2D tiles = new WorkerGrid2D(Matmul.TILE, Matmul.ROW_GROUP);
                tiles.setLocalWork(Matmul.TILE, Matmul.ROW_GROUP, 1);
                grids.addWorkerGrid(p + task, tiles);
            }
        }
        for (String task : List.of("rope_q", "rope_k", "kv_append", "silu_mul")) {
            grids.addWorkerGrid(p + task, grid1d(ELEMENTWISE_LOCAL_SIZE, ELEMENTWISE_LOCAL_SIZE));
        }
        grids.addWorkerGrid(p + "attention", grid1d(Attention.TILE, Attention.TILE));
        return g;
    }

    private void projection(TaskGraph g, Block b, String name, FloatArray x, FloatArray weight, FloatArray bias,
                            FloatArray out, int inFeatures, int outFeatures, int epilogue) {
        int weightStride = inFeatures * outFeatures;
        if (b.matrixVector) {
            g.task(name, Matmul::vectorTimesWeights, context, b.step, x, weight, weightStride, bias, outFeatures, out,
                    b.mlpGate, inFeatures, outFeatures, epilogue);
        } else {
            g.task(name, Matmul::rowsTimesWeights, context, b.step, x, weight, weightStride, bias, outFeatures, out,
                    b.mlpGate, inFeatures, outFeatures, epilogue);
        }
    }

    private TaskGraph restoreGraph() {
        TaskGraph g = new TaskGraph(RESTORE);
        g.consumeFromDevice(WEIGHTS, shared.toArray());
        g.transferToDevice(DataTransferMode.EVERY_EXECUTION, restoreStep, restoreKeys, restoreValues);
        g.task("kv_restore", KvCache::append, context, restoreStep, restoreKeys, restoreValues, keyCache, valueCache,
                config.kvDim(), capacity);
        restoreGrid.setLocalWork(ELEMENTWISE_LOCAL_SIZE, 1, 1);
        grids.addWorkerGrid(RESTORE + ".kv_restore", restoreGrid);
        return g;
    }

    private TaskGraph logitsGraph() {
        int d = config.hiddenSize();
        int vocab = config.vocabSize();
        IntArray step = new IntArray(Step.SIZE);
        step.set(Step.ROWS, 1);
        FloatArray normed = new FloatArray(d);
        FloatArray noBias = new FloatArray(vocab);
        FloatArray noGate = new FloatArray(1);
        TaskGraph g = new TaskGraph(LOGITS);
        g.consumeFromDevice(WEIGHTS, shared.toArray());
        g.transferToDevice(DataTransferMode.FIRST_EXECUTION, step, noBias, noGate);
        g.transferToDevice(DataTransferMode.EVERY_EXECUTION, logitsInput);
        g.task("final_norm", Norms::rmsNorm, context, step, logitsInput, weights.norm(), 0, normed, d,
                (float) config.rmsNormEps());
        g.task("lm_head", Matmul::vectorTimesWeights, context, step, normed, weights.lmHead(), 0, noBias, 0,
                logitsOutput, noGate, d, vocab, Matmul.STORE);
        g.transferToHost(DataTransferMode.EVERY_EXECUTION, logitsOutput);
        grids.addWorkerGrid(LOGITS + ".final_norm", grid1d(Norms.LOCAL_SIZE, Norms.LOCAL_SIZE));
        grids.addWorkerGrid(LOGITS + ".lm_head", grid1d((long) vocab * Matmul.VECTOR_LOCAL_SIZE,
                Matmul.VECTOR_LOCAL_SIZE));
        return g;
    }

    private static WorkerGrid1D grid1d(long global, int local) {
        WorkerGrid1D grid = new WorkerGrid1D((int) global);
        grid.setLocalWork(local, 1, 1);
        return grid;
    }

    private static long roundUp(long n, int multiple) {
        return (n + multiple - 1) / multiple * multiple;
    }
}
