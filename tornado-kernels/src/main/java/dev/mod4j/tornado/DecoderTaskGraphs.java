package dev.mod4j.tornado;

import dev.mod4j.loaders.config.LlamaConfig;
import dev.mod4j.runtime.backend.RotaryEmbedding;
import dev.mod4j.tornado.kernels.Activations;
import dev.mod4j.tornado.kernels.Attention;
import dev.mod4j.tornado.kernels.KvCache;
import dev.mod4j.tornado.kernels.Matmul;
import dev.mod4j.tornado.kernels.Norms;
import dev.mod4j.tornado.kernels.Rotary;
import dev.mod4j.tornado.kernels.Routing;
import dev.mod4j.tornado.kernels.Rows;
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
import uk.ac.manchester.tornado.api.types.arrays.TornadoNativeArray;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The decoder as one TornadoVM execution plan of several task graphs that share device buffers:
 *
 * <ol>
 *   <li>{@code weights}: uploads every weight, the rotary tables, and allocates the KV cache, the residual stream
 *       ([capacity × hidden_size], the rows of the session whose forward pass runs) and the slots of score projections,
 *       once, and leaves them on the device ({@code persistOnDevice}); every other graph consumes them
 *       ({@code consumeFromDevice}).</li>
 *   <li>{@code block_N}: one transformer block for batches of up to N rows (N = 1, 16, 64, ..., capacity). The graph
 *       is built once and serves every layer and step: the layer index, row count and cache base arrive in a small
 *       {@link Step} array, and the kernels find the layer's weights and cache slice by offset. It gathers the rows
 *       it processes from the residual stream by index, runs the block and scatters them back; per execution only the
 *       step, the row indices, positions and MLP gates (N ints or floats each) come in, and nothing goes out.</li>
 *   <li>Row operations on the residual stream: {@code rows_put_1} / {@code rows_put_all} (a forward pass's input
 *       rows), {@code rows_scale}, {@code rows_keep} (compaction after a drop), {@code rows_download} (for analysis
 *       tools, and for saving a session's rows when another one takes the device).</li>
 *   <li>Scores for the schedules: {@code score_projection_N} (router logits of up to N listed rows, optionally
 *       on input_layernorm'ed rows; N by the blocks' buckets) with {@code projection_upload} (a router's weights into a slot, once per weight
 *       array), and {@code attention_score} (head-mean attention probabilities of one query row). Only the scores
 *       go to the host.</li>
 *   <li>{@code kv_restore} / {@code kv_save}: host cache entries into the device cache and back, for when several
 *       sessions share the device cache.</li>
 *   <li>{@code logits}: final norm and {@code lm_head} of one stream row.</li>
 * </ol>
 *
 * <p>TornadoVM copies whole arrays, so every per-call vector is sized for the capacity (or the graph's N); the host
 * fills the first entries and the {@link Step} array says how many count. Weight matrices are float32 or half
 * ({@link WeightPrecision}); the projections pick the kernel variant from the weights' array type.
 */
final class DecoderTaskGraphs implements AutoCloseable {
    static final String WEIGHTS = "weights";
    static final String RESTORE = "kv_restore";
    static final String SAVE = "kv_save";
    static final String LOGITS = "logits";
    static final String PUT_ONE = "rows_put_1";
    static final String PUT_ALL = "rows_put_all";
    static final String SCALE = "rows_scale";
    static final String KEEP = "rows_keep";
    static final String DOWNLOAD = "rows_download";
    static final String UPLOAD_PROJECTION = "projection_upload";
    static final String PROJECT = "score_projection";
    static final String ATTENTION_SCORE = "attention_score";
    /** Rows the restore and save graphs move per execution. */
    static final int RESTORE_ROWS = 256;
    /** Most outputs of a score projection: γ-MoD's router has 2, p-MoD's 1. */
    static final int MAX_PROJECTION_OUTPUTS = 2;
    private static final int ELEMENTWISE_LOCAL_SIZE = 64;

    private final LlamaConfig config;
    private final DeviceWeights weights;
    private final RotaryTables rotary;
    private final int capacity;
    private final FloatArray keyCache;
    private final FloatArray valueCache;
    /** The residual stream's rows, [capacity × hidden_size]. */
    private final FloatArray residual;
    /** Score projections (router weights) by slot, [slots × MAX_PROJECTION_OUTPUTS × hidden_size], and biases. */
    private final FloatArray projections;
    private final FloatArray projectionBias;
    private final List<TornadoNativeArray> shared = new ArrayList<>();
    private final List<Block> blocks = new ArrayList<>();
    private final GridScheduler grids = new GridScheduler();
    private final KernelContext context = new KernelContext();
    private final TornadoExecutionPlan plan;
    private final Map<String, Integer> graphIndex = new HashMap<>();
    private final boolean profile;
    private long bytesToDevice;
    private long bytesToHost;

    // kv_restore / kv_save
    private final IntArray restoreStep = new IntArray(Step.SIZE);
    private final FloatArray restoreKeys;
    private final FloatArray restoreValues;
    private final IntArray saveStep = new IntArray(Step.SIZE);
    private final FloatArray saveKeys;
    private final FloatArray saveValues;

    // row operations
    private final IntArray putOneStep = new IntArray(Step.SIZE);
    private final FloatArray putOneRow;
    private final IntArray putAllStep = new IntArray(Step.SIZE);
    private final FloatArray putAllRows;
    private final IntArray scaleStep = new IntArray(Step.SIZE);
    private final IntArray scaleRows;
    private final FloatArray scaleFactors;
    private final IntArray keepStep = new IntArray(Step.SIZE);
    private final IntArray keepRows;
    private final IntArray downloadStep = new IntArray(Step.SIZE);
    private final FloatArray downloadRows;

    // scores
    private final IntArray uploadStep = new IntArray(Step.SIZE);
    private final FloatArray uploadWeights;
    private final FloatArray uploadBias;
    private final List<ScoreProjection> scoreProjections = new ArrayList<>();
    private final IntArray scoreStep = new IntArray(Step.SIZE);
    private final IntArray scoreQueryStep = new IntArray(Step.SIZE);
    private final IntArray scorePositions;
    private final IntArray scoreQueryPosition = new IntArray(1);
    private final FloatArray scoreMean;
    /** Which host weight array each projection slot holds (by identity), and its bias values. */
    private final Map<float[], Integer> slotOfWeight = new IdentityHashMap<>();
    private final float[][] slotBias;
    private final float[][] slotWeight;
    private int nextSlot;

    // logits
    private final IntArray logitsStep = new IntArray(Step.SIZE);
    private final FloatArray logitsOutput;
    private final MemorySegment logitsOutputSegment;

    private TornadoExecutionResult lastResult;

    /** The buffers of one {@code block_N} graph. */
    final class Block {
        final int maxRows;
        final String name;
        final boolean matrixVector;
        final IntArray step = new IntArray(Step.SIZE);
        /** Stream row of each batch row. */
        final IntArray rowIndex;
        final IntArray positions;
        final FloatArray mlpGate;
        int graphIndex;

        Block(int maxRows) {
            this.maxRows = maxRows;
            this.name = "block_" + maxRows;
            this.matrixVector = maxRows == 1;
            this.rowIndex = new IntArray(maxRows);
            this.positions = new IntArray(maxRows);
            this.mlpGate = new FloatArray(maxRows);
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
            elementwise("gather_rows", (long) rows * d);
            elementwise("scatter_rows", (long) rows * d);
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

    DecoderTaskGraphs(LlamaConfig config, DeviceWeights weights, RotaryEmbedding rope, int capacity, TornadoDevice device,
                      boolean profile) {
        this.config = config;
        this.weights = weights;
        this.rotary = RotaryTables.of(rope, config.headDim(), capacity);
        this.capacity = capacity;
        this.profile = profile;
        long kvFloats = (long) config.numHiddenLayers() * capacity * config.kvDim();
        if (kvFloats > Integer.MAX_VALUE - 64) {
            throw new UnsupportedOperationException("a KV cache of " + config.numHiddenLayers() + " layers × " + capacity
                    + " tokens × " + config.kvDim() + " does not fit one TornadoVM FloatArray; use a shorter session");
        }
        int d = config.hiddenSize();
        if ((long) capacity * Math.max(d, config.numAttentionHeads()) > Integer.MAX_VALUE - 64) {
            throw new UnsupportedOperationException(capacity + " rows × " + d + " do not fit one TornadoVM FloatArray");
        }
        int slots = config.numHiddenLayers() + 1;
        this.keyCache = new FloatArray((int) kvFloats);
        this.valueCache = new FloatArray((int) kvFloats);
        this.residual = new FloatArray(capacity * d);
        this.projections = new FloatArray(slots * MAX_PROJECTION_OUTPUTS * d);
        this.projectionBias = new FloatArray(slots * MAX_PROJECTION_OUTPUTS);
        this.slotBias = new float[slots][];
        this.slotWeight = new float[slots][];
        shared.addAll(weights.all());
        shared.add(rotary.cos());
        shared.add(rotary.sin());
        shared.add(keyCache);
        shared.add(valueCache);
        shared.add(residual);
        shared.add(projections);
        shared.add(projectionBias);
        this.restoreKeys = new FloatArray(RESTORE_ROWS * config.kvDim());
        this.restoreValues = new FloatArray(RESTORE_ROWS * config.kvDim());
        this.saveKeys = new FloatArray(RESTORE_ROWS * config.kvDim());
        this.saveValues = new FloatArray(RESTORE_ROWS * config.kvDim());
        this.putOneRow = new FloatArray(d);
        this.putAllRows = new FloatArray(capacity * d);
        this.scaleRows = new IntArray(capacity);
        this.scaleFactors = new FloatArray(capacity);
        this.keepRows = new IntArray(capacity);
        this.downloadRows = new FloatArray(capacity * d);
        this.uploadWeights = new FloatArray(MAX_PROJECTION_OUTPUTS * d);
        this.uploadBias = new FloatArray(MAX_PROJECTION_OUTPUTS);
        this.scorePositions = new IntArray(capacity);
        this.scoreMean = new FloatArray(capacity);
        this.logitsOutput = new FloatArray(config.vocabSize());
        this.logitsOutputSegment = logitsOutput.getSegment();

        List<ImmutableTaskGraph> graphs = new ArrayList<>();
        graphs.add(weightsGraph().snapshot());
        for (int rows : bucketSizes(capacity)) {
            Block block = new Block(rows);
            block.graphIndex = graphs.size();
            graphs.add(blockGraph(block).snapshot());
            blocks.add(block);
        }
        for (int rows : bucketSizes(capacity)) {
            ScoreProjection scores = new ScoreProjection(rows);
            scores.graphIndex = graphs.size();
            graphs.add(projectGraph(scores).snapshot());
            scoreProjections.add(scores);
        }
        for (TaskGraph g : List.of(restoreGraph(), saveGraph(), putGraph(PUT_ONE, putOneStep, putOneRow),
                putGraph(PUT_ALL, putAllStep, putAllRows), scaleGraph(), keepGraph(), downloadGraph(),
                uploadProjectionGraph(), attentionScoreGraph(), logitsGraph())) {
            graphIndex.put(g.getTaskGraphName(), graphs.size());
            graphs.add(g.snapshot());
        }

        plan = new TornadoExecutionPlan(graphs.toArray(ImmutableTaskGraph[]::new));
        plan.withDevice(device).withGridScheduler(grids);
        if (profile) {
            plan.withProfiler(ProfilerMode.SILENT);
        }
        // Transfer the weights now, once.
        execute(0);
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

    RotaryTables rotary() {
        return rotary;
    }

    /**
     * The buffers of one {@code score_projection_N} graph: router logits of up to N listed rows. Sized by the same
     * buckets as the blocks, since TornadoVM copies whole arrays: a decode step sends one index and gets two scores
     * back, not {@code capacity} of each.
     */
    static final class ScoreProjection {
        final int maxRows;
        final String name;
        final IntArray step = new IntArray(Step.SIZE);
        final IntArray rowIndex;
        final FloatArray scores;
        int graphIndex;

        ScoreProjection(int maxRows) {
            this.maxRows = maxRows;
            this.name = PROJECT + "_" + maxRows;
            this.rowIndex = new IntArray(maxRows);
            this.scores = new FloatArray(maxRows * MAX_PROJECTION_OUTPUTS);
        }
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

    /** Runs one transformer block on the stream rows named in {@code block.rowIndex}, with its other buffers filled. */
    TornadoExecutionResult run(Block block, int rows) {
        block.resize(rows);
        return execute(block.graphIndex);
    }

    private TornadoExecutionResult execute(String graph) {
        return execute(graphIndex.get(graph));
    }

    private TornadoExecutionResult execute(int graph) {
        lastResult = plan.withGraph(graph).execute();
        if (profile) {
            bytesToDevice += lastResult.getProfilerResult().getTotalBytesCopyIn();
            bytesToHost += lastResult.getProfilerResult().getTotalBytesCopyOut();
        }
        return lastResult;
    }

    /** Bytes TornadoVM's profiler counted host → device and device → host so far (zeros unless profiling). */
    long bytesToDevice() {
        return bytesToDevice;
    }

    long bytesToHost() {
        return bytesToHost;
    }

    // ---- the residual stream ------------------------------------------------------------------------------------

    /** Uploads host rows [0, rows) of {@code hidden} ([rows × hidden_size]) as stream rows 0 .. rows−1. */
    void putRows(float[] hidden, int rows) {
        int d = config.hiddenSize();
        boolean one = rows == 1;
        FloatArray staging = one ? putOneRow : putAllRows;
        IntArray step = one ? putOneStep : putAllStep;
        MemorySegment.copy(hidden, 0, staging.getSegment(), ValueLayout.JAVA_FLOAT, 0, rows * d);
        step.set(Step.ROWS, rows);
        elementwise(one ? PUT_ONE : PUT_ALL, "put_rows", (long) rows * d);
        execute(one ? PUT_ONE : PUT_ALL);
    }

    /** Downloads stream rows [0, rows) into {@code hidden}. */
    void downloadRows(float[] hidden, int rows) {
        int d = config.hiddenSize();
        downloadStep.set(Step.ROWS, rows);
        elementwise(DOWNLOAD, "download_rows", (long) rows * d);
        execute(DOWNLOAD);
        MemorySegment.copy(downloadRows.getSegment(), ValueLayout.JAVA_FLOAT, 0, hidden, 0, rows * d);
    }

    /** Multiplies stream rows {@code rows[i]} by {@code factors[i]}, i &lt; count. */
    void scaleRows(int[] rows, float[] factors, int count) {
        for (int i = 0; i < count; i++) {
            scaleRows.set(i, rows[i]);
            scaleFactors.set(i, factors[i]);
        }
        scaleStep.set(Step.ROWS, count);
        elementwise(SCALE, "scale_rows", (long) count * config.hiddenSize());
        execute(SCALE);
    }

    /** Keeps stream rows {@code survivors[0 .. count)} as rows 0 .. count−1. */
    void keepRows(int[] survivors, int count) {
        for (int i = 0; i < count; i++) {
            keepRows.set(i, survivors[i]);
        }
        keepStep.set(Step.ROWS, count);
        elementwise(KEEP, "gather_survivors", (long) count * config.hiddenSize());
        elementwise(KEEP, "copy_survivors", (long) count * config.hiddenSize());
        execute(KEEP);
    }

    /**
     * Router logits of stream rows {@code rows[i]} (null: row i), i &lt; count, as {@link
     * dev.mod4j.runtime.backend.ResidualStream#rowScores} defines them. The projection is uploaded into a slot the
     * first time this weight array is seen (and again only if the slot was reused or the bias differs).
     */
    float[] rowScores(int[] rows, int count, int normLayer, float[] weight, float[] bias, int outputs) {
        if (outputs < 1 || outputs > MAX_PROJECTION_OUTPUTS) {
            throw new IllegalArgumentException(outputs + " score outputs; the device kernels take 1 to "
                    + MAX_PROJECTION_OUTPUTS);
        }
        int slot = projectionSlot(weight, bias, outputs);
        ScoreProjection p = scoreProjectionFor(count);
        for (int i = 0; i < count; i++) {
            p.rowIndex.set(i, rows == null ? i : rows[i]);
        }
        p.step.set(Step.ROWS, count);
        p.step.set(Step.LAYER, normLayer);
        p.step.set(Step.BASE, outputs);
        p.step.set(Step.ARG, slot);
        grids.get(p.name + ".project_rows").setGlobalWork((long) Math.max(count, 1) * Routing.LOCAL_SIZE, 1, 1);
        execute(p.graphIndex);
        float[] out = new float[count * outputs];
        for (int i = 0; i < count; i++) {
            for (int o = 0; o < outputs; o++) {
                out[i * outputs + o] = p.scores.get(i * MAX_PROJECTION_OUTPUTS + o);
            }
        }
        return out;
    }

    private ScoreProjection scoreProjectionFor(int rows) {
        for (ScoreProjection p : scoreProjections) {
            if (p.maxRows >= rows) {
                return p;
            }
        }
        throw new IllegalArgumentException(rows + " rows to score exceed the device stream's capacity of " + capacity);
    }

    private int projectionSlot(float[] weight, float[] bias, int outputs) {
        float[] b = new float[MAX_PROJECTION_OUTPUTS];
        if (bias != null) {
            System.arraycopy(bias, 0, b, 0, outputs);
        }
        Integer slot = slotOfWeight.get(weight);
        if (slot != null && java.util.Arrays.equals(slotBias[slot], b)) {
            return slot;
        }
        if (slot == null) {
            slot = nextSlot;
            nextSlot = (nextSlot + 1) % slotBias.length;
            if (slotWeight[slot] != null) {
                slotOfWeight.remove(slotWeight[slot]);
            }
        }
        int d = config.hiddenSize();
        for (int i = 0; i < MAX_PROJECTION_OUTPUTS * d; i++) {
            uploadWeights.set(i, i < outputs * d ? weight[i] : 0f);
        }
        for (int o = 0; o < MAX_PROJECTION_OUTPUTS; o++) {
            uploadBias.set(o, b[o]);
        }
        uploadStep.set(Step.ARG, slot);
        execute(UPLOAD_PROJECTION);
        slotOfWeight.put(weight, slot);
        slotWeight[slot] = weight;
        slotBias[slot] = b;
        return slot;
    }

    /**
     * Head-mean attention probabilities of stream row {@code queryRow} over rows [0, queryRow] with layer
     * {@code layer}'s input norm and q/k projections, row r rotated to {@code positions[r]}.
     */
    float[] attentionFrom(int queryRow, int layer, int[] positions) {
        int keys = queryRow + 1;
        for (int r = 0; r < keys; r++) {
            rotary.requireHolds(positions[r]);
            scorePositions.set(r, positions[r]);
        }
        scoreQueryPosition.set(0, positions[queryRow]);
        scoreStep.set(Step.ROWS, keys);
        scoreStep.set(Step.LAYER, layer);
        scoreStep.set(Step.ARG, queryRow);
        scoreQueryStep.set(Step.ROWS, 1);
        scoreQueryStep.set(Step.LAYER, layer);
        String p = ATTENTION_SCORE + ".";
        grids.get(p + "score_norm").setGlobalWork((long) keys * Norms.LOCAL_SIZE, 1, 1);
        grids.get(p + "score_k").setGlobalWork(roundUp(config.kvDim(), Matmul.TILE),
                roundUp(keys, Matmul.TILE) / Matmul.ROWS_PER_ITEM, 1);
        grids.get(p + "score_rope_k").setGlobalWork(roundUp((long) keys * config.numKeyValueHeads()
                * (config.headDim() / 2), ELEMENTWISE_LOCAL_SIZE), 1, 1);
        execute(ATTENTION_SCORE);
        float[] mean = new float[keys];
        MemorySegment.copy(scoreMean.getSegment(), ValueLayout.JAVA_FLOAT, 0, mean, 0, keys);
        return mean;
    }

    private void elementwise(String graph, String task, long items) {
        grids.get(graph + "." + task).setGlobalWork(roundUp(Math.max(items, 1), ELEMENTWISE_LOCAL_SIZE), 1, 1);
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
            elementwise(RESTORE, "kv_restore", (long) n * kvDim);
            execute(RESTORE);
        }
    }

    /** Reads device cache entries [first, first + rows) of {@code layer} into host {@code keys}/{@code values}. */
    void save(int layer, float[] keys, float[] values, int first, int rows) {
        int kvDim = config.kvDim();
        for (int done = 0; done < rows; done += RESTORE_ROWS) {
            int n = Math.min(RESTORE_ROWS, rows - done);
            saveStep.set(Step.ROWS, n);
            saveStep.set(Step.BASE, first + done);
            saveStep.set(Step.LAYER, layer);
            elementwise(SAVE, "kv_save", (long) n * kvDim);
            execute(SAVE);
            MemorySegment.copy(saveKeys.getSegment(), ValueLayout.JAVA_FLOAT, 0, keys, (first + done) * kvDim,
                    n * kvDim);
            MemorySegment.copy(saveValues.getSegment(), ValueLayout.JAVA_FLOAT, 0, values, (first + done) * kvDim,
                    n * kvDim);
        }
    }

    /** Final norm and lm_head of stream row {@code row} into {@code logits[offset ..]}. */
    void logits(int row, float[] logits, int offset) {
        logitsStep.set(Step.ROWS, 1);
        logitsStep.set(Step.ARG, row);
        execute(LOGITS);
        MemorySegment.copy(logitsOutputSegment, ValueLayout.JAVA_FLOAT, 0, logits, offset, config.vocabSize());
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
        return TaskGraphs.uploadGraph(WEIGHTS, shared);
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
        FloatArray hidden = new FloatArray(n * d);
        FloatArray key = new FloatArray(n * kvDim);
        FloatArray value = new FloatArray(n * kvDim);
        FloatArray normed = new FloatArray(n * d);
        FloatArray query = new FloatArray(n * qDim);
        FloatArray attention = new FloatArray(n * qDim);
        FloatArray gate = new FloatArray(n * m);
        FloatArray up = new FloatArray(n * m);

        TaskGraph g = new TaskGraph(b.name);
        g.consumeFromDevice(WEIGHTS, shared.toArray());
        g.transferToDevice(DataTransferMode.EVERY_EXECUTION, b.step, b.rowIndex, b.positions, b.mlpGate);
        g.task("gather_rows", Rows::gatherRows, context, b.step, b.rowIndex, residual, hidden, d);
        // Attention: h = x + o_proj(attn(rope(q), rope(k), v)) with q, k, v from LN1(x).
        g.task("attn_norm", Norms::rmsNorm, context, b.step, hidden, w.inputLayernorm(), d, normed, d, eps);
        projection(g, b, "q_proj", normed, w.qProj(), w.qBias(), query, d, qDim, Matmul.STORE);
        projection(g, b, "k_proj", normed, w.kProj(), w.kBias(), key, d, kvDim, Matmul.STORE);
        projection(g, b, "v_proj", normed, w.vProj(), w.vBias(), value, d, kvDim, Matmul.STORE);
        g.task("rope_q", Rotary::rotateHalf, context, b.step, b.positions, query, rotary.cos(), rotary.sin(),
                c.numAttentionHeads(), c.headDim());
        g.task("rope_k", Rotary::rotateHalf, context, b.step, b.positions, key, rotary.cos(), rotary.sin(),
                c.numKeyValueHeads(), c.headDim());
        g.task("kv_append", KvCache::append, context, b.step, key, value, keyCache, valueCache, kvDim, capacity);
        g.task("attention", Attention::causal, context, b.step, query, keyCache, valueCache, attention,
                c.numAttentionHeads(), c.numKeyValueHeads(), c.headDim(), capacity, scale);
        projection(g, b, "o_proj", attention, w.oProj(), w.oBias(), hidden, qDim, d, Matmul.ADD);
        // MLP: x' = h + gate · down(silu(gate_proj(LN2(h))) * up_proj(LN2(h))).
        g.task("mlp_norm", Norms::rmsNorm, context, b.step, hidden, w.postAttentionLayernorm(), d, normed, d, eps);
        projection(g, b, "gate_proj", normed, w.gateProj(), w.gateBias(), gate, d, m, Matmul.STORE);
        projection(g, b, "up_proj", normed, w.upProj(), w.upBias(), up, d, m, Matmul.STORE);
        g.task("silu_mul", Activations::siluMultiply, context, b.step, gate, up, m);
        projection(g, b, "down_proj", gate, w.downProj(), w.downBias(), hidden, m, d, Matmul.ADD_GATED);
        g.task("scatter_rows", Rows::scatterRows, context, b.step, b.rowIndex, hidden, residual, d);

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
        for (String task : List.of("rope_q", "rope_k", "kv_append", "silu_mul", "gather_rows", "scatter_rows")) {
            grids.addWorkerGrid(p + task, grid1d(ELEMENTWISE_LOCAL_SIZE, ELEMENTWISE_LOCAL_SIZE));
        }
        grids.addWorkerGrid(p + "attention", grid1d(Attention.TILE, Attention.TILE));
        return g;
    }

    private void projection(TaskGraph g, Block b, String name, FloatArray x, TornadoNativeArray weight,
                            FloatArray bias, FloatArray out, int inFeatures, int outFeatures, int epilogue) {
        matmul(g, name, b.matrixVector, b.step, x, weight, inFeatures * outFeatures, bias, outFeatures, out, b.mlpGate,
                inFeatures, outFeatures, epilogue);
    }

    /** Task {@code name}: {@code x · Wᵀ + b} (see {@link TaskGraphs#matmul}). */
    private void matmul(TaskGraph g, String name, boolean matrixVector, IntArray step, FloatArray x,
                        TornadoNativeArray weight, int weightStride, FloatArray bias, int biasStride, FloatArray out,
                        FloatArray gate, int inFeatures, int outFeatures, int epilogue) {
        TaskGraphs.matmul(g, context, name, matrixVector, step, x, weight, weightStride, bias, biasStride, out, gate,
                inFeatures, outFeatures, epilogue);
    }

    /** A graph that consumes the shared buffers and copies {@code in} to the device with every execution. */
    private TaskGraph graph(String name, Object... in) {
        TaskGraph g = new TaskGraph(name);
        g.consumeFromDevice(WEIGHTS, shared.toArray());
        g.transferToDevice(DataTransferMode.EVERY_EXECUTION, in);
        return g;
    }

    private void elementwiseGrid(String graph, String task) {
        grids.addWorkerGrid(graph + "." + task, grid1d(ELEMENTWISE_LOCAL_SIZE, ELEMENTWISE_LOCAL_SIZE));
    }

    private TaskGraph restoreGraph() {
        TaskGraph g = graph(RESTORE, restoreStep, restoreKeys, restoreValues);
        g.task("kv_restore", KvCache::append, context, restoreStep, restoreKeys, restoreValues, keyCache, valueCache,
                config.kvDim(), capacity);
        elementwiseGrid(RESTORE, "kv_restore");
        return g;
    }

    private TaskGraph saveGraph() {
        TaskGraph g = graph(SAVE, saveStep);
        g.task("kv_save", KvCache::copyOut, context, saveStep, keyCache, valueCache, saveKeys, saveValues,
                config.kvDim(), capacity);
        g.transferToHost(DataTransferMode.EVERY_EXECUTION, saveKeys, saveValues);
        elementwiseGrid(SAVE, "kv_save");
        return g;
    }

    private TaskGraph putGraph(String name, IntArray step, FloatArray rows) {
        TaskGraph g = graph(name, step, rows);
        g.task("put_rows", Rows::copyRows, context, step, rows, residual, config.hiddenSize());
        elementwiseGrid(name, "put_rows");
        return g;
    }

    private TaskGraph scaleGraph() {
        TaskGraph g = graph(SCALE, scaleStep, scaleRows, scaleFactors);
        g.task("scale_rows", Rows::scaleRows, context, scaleStep, scaleRows, scaleFactors, residual,
                config.hiddenSize());
        elementwiseGrid(SCALE, "scale_rows");
        return g;
    }

    private TaskGraph keepGraph() {
        // Through a scratch buffer: compacting in place would let one work-item overwrite a row another still reads.
        FloatArray scratch = new FloatArray(capacity * config.hiddenSize());
        TaskGraph g = graph(KEEP, keepStep, keepRows);
        g.task("gather_survivors", Rows::gatherRows, context, keepStep, keepRows, residual, scratch,
                config.hiddenSize());
        g.task("copy_survivors", Rows::copyRows, context, keepStep, scratch, residual, config.hiddenSize());
        elementwiseGrid(KEEP, "gather_survivors");
        elementwiseGrid(KEEP, "copy_survivors");
        return g;
    }

    private TaskGraph downloadGraph() {
        TaskGraph g = graph(DOWNLOAD, downloadStep);
        g.task("download_rows", Rows::copyRows, context, downloadStep, residual, downloadRows, config.hiddenSize());
        g.transferToHost(DataTransferMode.EVERY_EXECUTION, downloadRows);
        elementwiseGrid(DOWNLOAD, "download_rows");
        return g;
    }

    private TaskGraph uploadProjectionGraph() {
        int d = config.hiddenSize();
        TaskGraph g = graph(UPLOAD_PROJECTION, uploadStep, uploadWeights, uploadBias);
        g.task("store_projection", Routing::storeProjection, context, uploadStep, uploadWeights, uploadBias,
                projections, projectionBias, d, MAX_PROJECTION_OUTPUTS);
        grids.addWorkerGrid(UPLOAD_PROJECTION + ".store_projection", grid1d(roundUp((long) MAX_PROJECTION_OUTPUTS * d,
                ELEMENTWISE_LOCAL_SIZE), ELEMENTWISE_LOCAL_SIZE));
        return g;
    }

    private TaskGraph projectGraph(ScoreProjection p) {
        TaskGraph g = graph(p.name, p.step, p.rowIndex);
        g.task("project_rows", Routing::projectRows, context, p.step, p.rowIndex, residual,
                weights.inputLayernorm(), projections, projectionBias, p.scores, config.hiddenSize(),
                MAX_PROJECTION_OUTPUTS, (float) config.rmsNormEps());
        g.transferToHost(DataTransferMode.EVERY_EXECUTION, p.scores);
        grids.addWorkerGrid(p.name + ".project_rows", grid1d(Routing.LOCAL_SIZE, Routing.LOCAL_SIZE));
        return g;
    }

    /**
     * PyramidDrop's and FastV's score: LN1 of rows [0, keys), their keys (k_proj, rotated), the query row's q
     * (q_proj, rotated), then per head the softmax of q·K/√d_h and the mean over heads. Only the mean comes back.
     */
    private TaskGraph attentionScoreGraph() {
        LlamaConfig c = config;
        DeviceWeights w = weights;
        int d = c.hiddenSize();
        int n = capacity;
        FloatArray normed = new FloatArray(n * d);
        FloatArray keys = new FloatArray(n * c.kvDim());
        FloatArray queryNormed = new FloatArray(d);
        FloatArray query = new FloatArray(c.qDim());
        FloatArray scores = new FloatArray(c.numAttentionHeads() * n);
        FloatArray stats = new FloatArray(2 * c.numAttentionHeads());
        FloatArray noGate = new FloatArray(1);
        TaskGraph g = graph(ATTENTION_SCORE, scoreStep, scoreQueryStep, scorePositions, scoreQueryPosition);
        g.task("score_norm", Norms::rmsNorm, context, scoreStep, residual, w.inputLayernorm(), d, normed, d,
                (float) c.rmsNormEps());
        matmul(g, "score_k", false, scoreStep, normed, w.kProj(), d * c.kvDim(), w.kBias(), c.kvDim(), keys, noGate,
                d, c.kvDim(), Matmul.STORE);
        g.task("score_query_row", Rows::pickRow, context, scoreStep, normed, queryNormed, d);
        matmul(g, "score_q", true, scoreQueryStep, queryNormed, w.qProj(), d * c.qDim(), w.qBias(), c.qDim(), query,
                noGate, d, c.qDim(), Matmul.STORE);
        g.task("score_rope_k", Rotary::rotateHalf, context, scoreStep, scorePositions, keys, rotary.cos(), rotary.sin(),
                c.numKeyValueHeads(), c.headDim());
        g.task("score_rope_q", Rotary::rotateHalf, context, scoreQueryStep, scoreQueryPosition, query, rotary.cos(),
                rotary.sin(), c.numAttentionHeads(), c.headDim());
        g.task("score_logits", Routing::attentionLogits, context, scoreStep, query, keys, scores,
                c.numAttentionHeads(), c.numKeyValueHeads(), c.headDim(), n, (float) (1.0 / Math.sqrt(c.headDim())));
        g.task("score_softmax", Routing::attentionSoftmaxStats, context, scoreStep, scores, stats, n);
        g.task("score_mean", Routing::attentionHeadMean, context, scoreStep, scores, stats, scoreMean,
                c.numAttentionHeads(), n);
        g.transferToHost(DataTransferMode.EVERY_EXECUTION, scoreMean);
        String p = ATTENTION_SCORE + ".";
        grids.addWorkerGrid(p + "score_norm", grid1d(Norms.LOCAL_SIZE, Norms.LOCAL_SIZE));
        WorkerGrid2D tiles = new WorkerGrid2D(Matmul.TILE, Matmul.ROW_GROUP);
        tiles.setLocalWork(Matmul.TILE, Matmul.ROW_GROUP, 1);
        grids.addWorkerGrid(p + "score_k", tiles);
        grids.addWorkerGrid(p + "score_query_row", grid1d(roundUp(d, ELEMENTWISE_LOCAL_SIZE),
                ELEMENTWISE_LOCAL_SIZE));
        grids.addWorkerGrid(p + "score_q", grid1d((long) c.qDim() * Matmul.VECTOR_LOCAL_SIZE,
                Matmul.VECTOR_LOCAL_SIZE));
        elementwiseGrid(ATTENTION_SCORE, "score_rope_k");
        grids.addWorkerGrid(p + "score_rope_q", grid1d(roundUp((long) c.numAttentionHeads() * (c.headDim() / 2),
                ELEMENTWISE_LOCAL_SIZE), ELEMENTWISE_LOCAL_SIZE));
        grids.addWorkerGrid(p + "score_logits", grid1d(roundUp((long) c.numAttentionHeads() * n,
                ELEMENTWISE_LOCAL_SIZE), ELEMENTWISE_LOCAL_SIZE));
        grids.addWorkerGrid(p + "score_softmax", grid1d((long) c.numAttentionHeads() * Routing.LOCAL_SIZE,
                Routing.LOCAL_SIZE));
        grids.addWorkerGrid(p + "score_mean", grid1d(roundUp(n, ELEMENTWISE_LOCAL_SIZE), ELEMENTWISE_LOCAL_SIZE));
        return g;
    }

    private TaskGraph logitsGraph() {
        int d = config.hiddenSize();
        int vocab = config.vocabSize();
        FloatArray row = new FloatArray(d);
        FloatArray normed = new FloatArray(d);
        FloatArray noBias = new FloatArray(vocab);
        FloatArray noGate = new FloatArray(1);
        TaskGraph g = new TaskGraph(LOGITS);
        g.consumeFromDevice(WEIGHTS, shared.toArray());
        g.transferToDevice(DataTransferMode.FIRST_EXECUTION, noBias, noGate);
        g.transferToDevice(DataTransferMode.EVERY_EXECUTION, logitsStep);
        g.task("logits_row", Rows::pickRow, context, logitsStep, residual, row, d);
        g.task("final_norm", Norms::rmsNorm, context, logitsStep, row, weights.norm(), 0, normed, d,
                (float) config.rmsNormEps());
        matmul(g, "lm_head", true, logitsStep, normed, weights.lmHead(), 0, noBias, 0, logitsOutput, noGate, d, vocab,
                Matmul.STORE);
        g.transferToHost(DataTransferMode.EVERY_EXECUTION, logitsOutput);
        grids.addWorkerGrid(LOGITS + ".logits_row", grid1d(roundUp(d, ELEMENTWISE_LOCAL_SIZE), ELEMENTWISE_LOCAL_SIZE));
        grids.addWorkerGrid(LOGITS + ".final_norm", grid1d(Norms.LOCAL_SIZE, Norms.LOCAL_SIZE));
        grids.addWorkerGrid(LOGITS + ".lm_head", grid1d((long) vocab * Matmul.VECTOR_LOCAL_SIZE,
                Matmul.VECTOR_LOCAL_SIZE));
        return g;
    }

    private static WorkerGrid1D grid1d(long global, int local) {
        return TaskGraphs.grid1d(global, local);
    }

    private static long roundUp(long n, int multiple) {
        return TaskGraphs.roundUp(n, multiple);
    }
}
