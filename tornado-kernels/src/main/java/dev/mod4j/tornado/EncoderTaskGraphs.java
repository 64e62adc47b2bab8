package dev.mod4j.tornado;

import dev.mod4j.loaders.config.ClipVisionConfig;
import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.runtime.backend.VisionParts;
import dev.mod4j.runtime.tensor.Linear;
import dev.mod4j.runtime.tensor.WeightMatrix;
import dev.mod4j.runtime.weights.ClipLayerWeights;
import dev.mod4j.runtime.weights.ClipVisionWeights;
import dev.mod4j.runtime.weights.ProjectorWeights;
import dev.mod4j.tornado.kernels.Activations;
import dev.mod4j.tornado.kernels.Attention;
import dev.mod4j.tornado.kernels.Embeddings;
import dev.mod4j.tornado.kernels.Matmul;
import dev.mod4j.tornado.kernels.Norms;
import dev.mod4j.tornado.kernels.Rows;
import dev.mod4j.tornado.kernels.Step;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.ImmutableTaskGraph;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.exceptions.TornadoExecutionPlanException;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;
import uk.ac.manchester.tornado.api.types.arrays.TornadoNativeArray;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The CLIP vision tower and the multimodal projector as one TornadoVM execution plan (see
 * {@link dev.mod4j.runtime.cpu.CpuVisionEncoder} for the same mathematics on the CPU):
 *
 * <ol>
 *   <li>{@code encoder_weights}: uploads the tower's and the projector's weights once, all encoder layers back to
 *       back per kind of tensor ({@code q_proj} of layer L starts at {@code L * hidden²}), and allocates the hidden
 *       rows [tokens × hidden]; every other graph consumes them.</li>
 *   <li>{@code encoder_embed}: the im2col'd patches in; patch embedding (a matrix product), class token, positions,
 *       {@code pre_layrnorm}.</li>
 *   <li>{@code encoder_layer}: one pre-norm encoder layer, serving every layer: the layer index arrives in the
 *       {@link Step} array and the kernels find the layer's weights by offset. LayerNorm, q/k/v projections with
 *       bias, bidirectional attention, out_proj added to the rows, LayerNorm, fc1, the activation, fc2 added.</li>
 *   <li>{@code encoder_download}: the hidden rows to the host.</li>
 *   <li>{@code projector}: feature rows in; the projector's linears with the activation between them; its output
 *       out.</li>
 * </ol>
 *
 * Only the patches go in and the hidden state (and the projector's rows) come out; the rows stay on the device
 * between layers. An {@link Extension} adds graphs of its own to the plan (LLaVA-HR's fast-branch embeddings,
 * MR-adapters and fusion), which share the hidden rows and run {@code encoder_layer} over them.
 */
final class EncoderTaskGraphs implements AutoCloseable {
    static final String WEIGHTS = "encoder_weights";
    static final String EMBED = "encoder_embed";
    static final String LAYER = "encoder_layer";
    static final String DOWNLOAD = "encoder_download";
    static final String PROJECT = "projector";
    private static final int ELEMENTWISE_LOCAL_SIZE = 64;

    /**
     * Graphs another encoder adds to this plan: its weights are uploaded with the tower's, its graphs consume them
     * and the hidden rows ({@link #graph}), and the layer graph runs over up to {@link #rows()} rows.
     */
    interface Extension {
        /** Rows of the hidden state the extension's graphs use (the buffers hold the larger of this and CLIP's). */
        int rows();

        /** Weights and buffers uploaded once with the tower's and shared by every graph. */
        List<TornadoNativeArray> buffers(WeightPrecision precision);

        /** The extension's graphs, built after the tower's; they may use the package-private members. */
        List<TaskGraph> graphs(EncoderTaskGraphs encoder);
    }

    private final ClipVisionConfig config;
    /** Rows of the hidden state the buffers hold: CLIP's tokens, or more for an extension. */
    private final int tokens;
    /** CLIP's own rows per image: the patches and the class token. */
    private final int imageTokens;
    private final int patchLength;
    /** The weights' precision on the device (float32, or half for an F16 tower on a device with fp16). */
    private final WeightPrecision precision;
    private final List<TornadoNativeArray> shared = new ArrayList<>();
    private final GridScheduler grids = new GridScheduler();
    private final KernelContext context = new KernelContext();
    private final Map<String, Integer> graphIndex = new HashMap<>();
    private final TornadoExecutionPlan plan;

    // weights
    private final TornadoNativeArray patchEmbedding;
    private final FloatArray classEmbedding;
    private final FloatArray positionEmbedding;
    private final FloatArray preLayernormWeight;
    private final FloatArray preLayernormBias;
    private final FloatArray layerNorm1Weight;
    private final FloatArray layerNorm1Bias;
    private final TornadoNativeArray qProj;
    private final TornadoNativeArray kProj;
    private final TornadoNativeArray vProj;
    private final TornadoNativeArray outProj;
    private final FloatArray qBias;
    private final FloatArray kBias;
    private final FloatArray vBias;
    private final FloatArray outBias;
    private final FloatArray layerNorm2Weight;
    private final FloatArray layerNorm2Bias;
    private final TornadoNativeArray fc1;
    private final FloatArray fc1Bias;
    private final TornadoNativeArray fc2;
    private final FloatArray fc2Bias;
    private final List<TornadoNativeArray> projectorWeights = new ArrayList<>();
    private final List<FloatArray> projectorBiases = new ArrayList<>();
    /** Zeros: the bias of the patch embedding, which has none. */
    private final FloatArray noBias;
    /** The products' gate argument, unread by their STORE and ADD epilogues. */
    private final FloatArray noGate = new FloatArray(1);

    /** The hidden rows [tokens × hidden], on the device from the embeddings to the last layer asked for. */
    private final FloatArray hidden;

    private final IntArray patchStep = new IntArray(Step.SIZE);
    private final IntArray tokenStep = new IntArray(Step.SIZE);
    private final FloatArray columns;
    private final IntArray layerStep = new IntArray(Step.SIZE);
    private final IntArray downloadStep = new IntArray(Step.SIZE);
    private final FloatArray downloaded;

    // projector
    private final ProjectorWeights projector;
    private final IntArray projectStep = new IntArray(Step.SIZE);
    private final FloatArray projectIn;
    private final FloatArray projectOut;

    EncoderTaskGraphs(VisionParts parts, TornadoDevice device, boolean halfFloatDevice) {
        this(parts, device, halfFloatDevice, null);
    }

    EncoderTaskGraphs(VisionParts parts, TornadoDevice device, boolean halfFloatDevice, Extension extension) {
        this.config = parts.config();
        ClipVisionConfig c = config;
        ClipVisionWeights w = parts.tower();
        this.projector = parts.projector();
        int h = c.hiddenSize();
        int m = c.intermediateSize();
        this.imageTokens = c.patchCount() + 1;
        this.tokens = extension == null ? imageTokens : Math.max(imageTokens, extension.rows());
        this.patchLength = c.numChannels() * c.patchSize() * c.patchSize();
        if (h % c.numAttentionHeads() != 0 || h / c.numAttentionHeads() > Attention.MAX_HEAD_DIM) {
            throw new UnsupportedOperationException("vision tower: head_dim " + h / c.numAttentionHeads()
                    + " exceeds the TornadoVM attention kernel's " + Attention.MAX_HEAD_DIM);
        }
        this.precision = WeightPrecision.forDevice(halfFloatDevice, commonType(w, projector));
        List<ClipLayerWeights> layers = w.layers();
        this.patchEmbedding = DeviceWeights.matrices(List.of(w.patchEmbedding()), x -> x, precision);
        this.classEmbedding = FloatArray.fromArray(w.classEmbedding());
        this.positionEmbedding = FloatArray.fromArray(w.positionEmbedding());
        this.preLayernormWeight = FloatArray.fromArray(w.preLayernormWeight());
        this.preLayernormBias = FloatArray.fromArray(w.preLayernormBias());
        this.layerNorm1Weight = DeviceWeights.vectors(layers, ClipLayerWeights::layerNorm1Weight, h);
        this.layerNorm1Bias = DeviceWeights.vectors(layers, ClipLayerWeights::layerNorm1Bias, h);
        this.qProj = DeviceWeights.matrices(layers, l -> l.qProj().weight(), precision);
        this.kProj = DeviceWeights.matrices(layers, l -> l.kProj().weight(), precision);
        this.vProj = DeviceWeights.matrices(layers, l -> l.vProj().weight(), precision);
        this.outProj = DeviceWeights.matrices(layers, l -> l.outProj().weight(), precision);
        this.qBias = DeviceWeights.biases(layers, ClipLayerWeights::qProj, h);
        this.kBias = DeviceWeights.biases(layers, ClipLayerWeights::kProj, h);
        this.vBias = DeviceWeights.biases(layers, ClipLayerWeights::vProj, h);
        this.outBias = DeviceWeights.biases(layers, ClipLayerWeights::outProj, h);
        this.layerNorm2Weight = DeviceWeights.vectors(layers, ClipLayerWeights::layerNorm2Weight, h);
        this.layerNorm2Bias = DeviceWeights.vectors(layers, ClipLayerWeights::layerNorm2Bias, h);
        this.fc1 = DeviceWeights.matrices(layers, l -> l.fc1().weight(), precision);
        this.fc1Bias = DeviceWeights.biases(layers, ClipLayerWeights::fc1, m);
        this.fc2 = DeviceWeights.matrices(layers, l -> l.fc2().weight(), precision);
        this.fc2Bias = DeviceWeights.biases(layers, ClipLayerWeights::fc2, h);
        this.noBias = new FloatArray(h);
        this.hidden = new FloatArray(tokens * h);
        shared.addAll(List.of(patchEmbedding, classEmbedding, positionEmbedding, preLayernormWeight, preLayernormBias,
                layerNorm1Weight, layerNorm1Bias, qProj, kProj, vProj, outProj, qBias, kBias, vBias, outBias,
                layerNorm2Weight, layerNorm2Bias, fc1, fc1Bias, fc2, fc2Bias, noBias, noGate, hidden));
        if (projector != null) {
            for (Linear linear : projector.linears()) {
                projectorWeights.add(DeviceWeights.matrices(List.of(linear), Linear::weight, precision));
                projectorBiases.add(DeviceWeights.biases(List.of(linear), x -> x, linear.outFeatures()));
            }
            shared.addAll(projectorWeights);
            shared.addAll(projectorBiases);
            if (projector.inputSize() != h) {
                throw new IllegalArgumentException("projector: takes " + projector.inputSize()
                        + " features, the vision tower gives " + h);
            }
        }
        if (extension != null) {
            shared.addAll(extension.buffers(precision));
        }
        this.columns = new FloatArray(c.patchCount() * patchLength);
        this.downloaded = new FloatArray(tokens * h);
        // The projector takes the selected feature rows: at most every token's.
        this.projectIn = new FloatArray(tokens * h);
        this.projectOut = projector == null ? new FloatArray(1)
                : new FloatArray(tokens * projector.outputSize());
        patchStep.set(Step.ROWS, c.patchCount());
        tokenStep.set(Step.ROWS, imageTokens);
        layerStep.set(Step.ROWS, imageTokens);
        downloadStep.set(Step.ROWS, imageTokens);

        List<TaskGraph> graphs = new ArrayList<>(List.of(TaskGraphs.uploadGraph(WEIGHTS, shared), embedGraph(),
                layerGraph(), downloadGraph()));
        if (projector != null) {
            graphs.add(projectorGraph());
        }
        if (extension != null) {
            graphs.addAll(extension.graphs(this));
        }
        for (int i = 0; i < graphs.size(); i++) {
            graphIndex.put(graphs.get(i).getTaskGraphName(), i);
        }
        plan = new TornadoExecutionPlan(graphs.stream().map(TaskGraph::snapshot).toArray(ImmutableTaskGraph[]::new));
        plan.withDevice(device).withGridScheduler(grids);
        // Transfer the weights now, once.
        execute(WEIGHTS);
    }

    // ---- what an extension's graphs use ----------------------------------------------------------------------------

    ClipVisionConfig config() {
        return config;
    }

    /** Feature rows one {@link #project} call takes at most. */
    int projectorRows() {
        return tokens;
    }

    /** The hidden rows [rows × hidden], shared by every graph of the plan. */
    FloatArray hidden() {
        return hidden;
    }

    TornadoNativeArray patchEmbedding() {
        return patchEmbedding;
    }

    FloatArray preLayernormWeight() {
        return preLayernormWeight;
    }

    FloatArray preLayernormBias() {
        return preLayernormBias;
    }

    /** Zeros of the tower's width: the bias of a product that has none. */
    FloatArray noBias() {
        return noBias;
    }

    /** The products' gate argument, unread by their STORE and ADD epilogues. */
    FloatArray noGate() {
        return noGate;
    }

    KernelContext context() {
        return context;
    }

    GridScheduler grids() {
        return grids;
    }

    /** The element type every matrix of the tower and projector shares, or null when they differ. */
    private static DType commonType(ClipVisionWeights w, ProjectorWeights projector) {
        List<WeightMatrix> matrices = new ArrayList<>();
        matrices.add(w.patchEmbedding());
        for (ClipLayerWeights l : w.layers()) {
            for (Linear linear : List.of(l.qProj(), l.kProj(), l.vProj(), l.outProj(), l.fc1(), l.fc2())) {
                matrices.add(linear.weight());
            }
        }
        if (projector != null) {
            projector.linears().forEach(linear -> matrices.add(linear.weight()));
        }
        DType common = matrices.getFirst().dtype();
        return matrices.stream().allMatch(x -> x.dtype() == common) ? common : null;
    }

    /** Hidden state 0: uploads the im2col'd patches ([patches × channels·patch²]) and embeds them. */
    void embed(float[] patchColumns) {
        MemorySegment.copy(patchColumns, 0, columns.getSegment(), ValueLayout.JAVA_FLOAT, 0, columns.getSize());
        execute(EMBED);
    }

    /** Runs encoder layer {@code layer} on CLIP's rows of one image, in place. */
    void layer(int layer) {
        layer(layer, imageTokens);
    }

    /** Runs encoder layer {@code layer} on the first {@code rows} hidden rows, in place (each row sees all rows). */
    void layer(int layer, int rows) {
        if (rows > tokens) {
            throw new IllegalArgumentException(rows + " rows; the encoder's buffers hold " + tokens);
        }
        layerStep.set(Step.ROWS, rows);
        layerStep.set(Step.LAYER, layer);
        execute(LAYER);
    }

    /** The hidden rows of one image [CLIP's tokens × hidden] as they are now. */
    float[] download() {
        return download(imageTokens);
    }

    /** The first {@code rows} hidden rows [rows × hidden] as they are now. */
    float[] download(int rows) {
        downloadStep.set(Step.ROWS, rows);
        execute(DOWNLOAD);
        float[] out = new float[rows * config.hiddenSize()];
        MemorySegment.copy(downloaded.getSegment(), ValueLayout.JAVA_FLOAT, 0, out, 0, out.length);
        return out;
    }

    /** The projector over {@code rows} host feature rows [rows × hidden] → [rows × output]. */
    float[] project(float[] features, int rows) {
        if (rows > tokens) {
            throw new IllegalArgumentException(rows + " feature rows; the projector's buffers hold " + tokens);
        }
        int h = config.hiddenSize();
        MemorySegment.copy(features, 0, projectIn.getSegment(), ValueLayout.JAVA_FLOAT, 0, rows * h);
        projectStep.set(Step.ROWS, rows);
        List<Linear> linears = projector.linears();
        for (int i = 0; i < linears.size(); i++) {
            Linear linear = linears.get(i);
            TaskGraphs.resizeTiles(grids.get(PROJECT + ".linear_" + i), rows, linear.outFeatures());
            if (i + 1 < linears.size()) {
                grids.get(PROJECT + ".activation_" + i).setGlobalWork(TaskGraphs.roundUp(
                        Math.max((long) rows * linear.outFeatures(), 1), ELEMENTWISE_LOCAL_SIZE), 1, 1);
            }
        }
        int outputs = projector.outputSize();
        grids.get(PROJECT + ".projected_rows").setGlobalWork(TaskGraphs.roundUp(
                Math.max((long) rows * outputs, 1), ELEMENTWISE_LOCAL_SIZE), 1, 1);
        execute(PROJECT);
        float[] out = new float[rows * outputs];
        MemorySegment.copy(projectOut.getSegment(), ValueLayout.JAVA_FLOAT, 0, out, 0, out.length);
        return out;
    }

    void execute(String graph) {
        plan.withGraph(graphIndex.get(graph)).execute();
    }

    @Override
    public void close() {
        try {
            plan.freeDeviceMemory();
            plan.close();
        } catch (TornadoExecutionPlanException e) {
            throw new IllegalStateException("releasing the TornadoVM execution plan of the vision tower failed", e);
        }
    }

    // ---- graph construction -------------------------------------------------------------------------------------

    /** A graph that consumes the shared buffers and copies {@code in} to the device with every execution. */
    TaskGraph graph(String name, Object... in) {
        TaskGraph g = new TaskGraph(name);
        g.consumeFromDevice(WEIGHTS, shared.toArray());
        g.transferToDevice(DataTransferMode.EVERY_EXECUTION, in);
        return g;
    }

    private TaskGraph embedGraph() {
        ClipVisionConfig c = config;
        int h = c.hiddenSize();
        FloatArray patches = new FloatArray(c.patchCount() * h);
        FloatArray embedded = new FloatArray(tokens * h);
        TaskGraph g = graph(EMBED, patchStep, tokenStep, columns);
        // The patch embedding is a convolution with stride = kernel = patch size: a product with each flattened patch.
        TaskGraphs.matmul(g, context, "patch_embedding", false, patchStep, columns, patchEmbedding, 0, noBias, 0,
                patches, noGate, patchLength, h, Matmul.STORE);
        g.task("class_and_positions", Embeddings::classAndPositions, context, tokenStep, patches, classEmbedding,
                positionEmbedding, embedded, h);
        g.task("pre_layrnorm", Norms::layerNorm, context, tokenStep, embedded, preLayernormWeight, preLayernormBias,
                0, hidden, h, (float) c.layerNormEps());
        grids.addWorkerGrid(EMBED + ".patch_embedding", TaskGraphs.tiles(c.patchCount(), h));
        elementwiseGrid(EMBED, "class_and_positions", (long) imageTokens * h);
        grids.addWorkerGrid(EMBED + ".pre_layrnorm", TaskGraphs.grid1d((long) imageTokens * Norms.LOCAL_SIZE,
                Norms.LOCAL_SIZE));
        return g;
    }

    private TaskGraph layerGraph() {
        ClipVisionConfig c = config;
        int h = c.hiddenSize();
        int m = c.intermediateSize();
        int heads = c.numAttentionHeads();
        int headDim = h / heads;
        float eps = (float) c.layerNormEps();
        FloatArray normed = new FloatArray(tokens * h);
        FloatArray q = new FloatArray(tokens * h);
        FloatArray k = new FloatArray(tokens * h);
        FloatArray v = new FloatArray(tokens * h);
        FloatArray attention = new FloatArray(tokens * h);
        FloatArray mlp = new FloatArray(tokens * m);
        TaskGraph g = graph(LAYER, layerStep);
        // Attention: x = x + out_proj(attn(q, k, v)) with q, k, v from layer_norm1(x), every row seeing every row.
        g.task("layer_norm1", Norms::layerNorm, context, layerStep, hidden, layerNorm1Weight, layerNorm1Bias, h,
                normed, h, eps);
        projection(g, "q_proj", normed, qProj, qBias, q, h, h, Matmul.STORE);
        projection(g, "k_proj", normed, kProj, kBias, k, h, h, Matmul.STORE);
        projection(g, "v_proj", normed, vProj, vBias, v, h, h, Matmul.STORE);
        g.task("attention", Attention::bidirectional, context, layerStep, q, k, v, attention, heads, headDim,
                (float) (1.0 / Math.sqrt(headDim)));
        projection(g, "out_proj", attention, outProj, outBias, hidden, h, h, Matmul.ADD);
        // MLP: x = x + fc2(act(fc1(layer_norm2(x)))).
        g.task("layer_norm2", Norms::layerNorm, context, layerStep, hidden, layerNorm2Weight, layerNorm2Bias, h,
                normed, h, eps);
        projection(g, "fc1", normed, fc1, fc1Bias, mlp, h, m, Matmul.STORE);
        activation(g, "activation", c.hiddenAct(), layerStep, mlp, m);
        projection(g, "fc2", mlp, fc2, fc2Bias, hidden, m, h, Matmul.ADD);

        String p = LAYER + ".";
        for (String norm : List.of("layer_norm1", "layer_norm2")) {
            grids.addWorkerGrid(p + norm, TaskGraphs.grid1d((long) tokens * Norms.LOCAL_SIZE, Norms.LOCAL_SIZE));
        }
        for (String task : List.of("q_proj", "k_proj", "v_proj", "out_proj", "fc2")) {
            grids.addWorkerGrid(p + task, TaskGraphs.tiles(tokens, h));
        }
        grids.addWorkerGrid(p + "fc1", TaskGraphs.tiles(tokens, m));
        grids.addWorkerGrid(p + "attention", TaskGraphs.grid1d((long) tokens * heads * Attention.TILE,
                Attention.TILE));
        elementwiseGrid(LAYER, "activation", (long) tokens * m);
        return g;
    }

    /** A projection of every encoder layer's weights ({@code layerStep[LAYER]} picks the layer by offset). */
    private void projection(TaskGraph g, String name, FloatArray x, TornadoNativeArray weight, FloatArray bias,
                            FloatArray out, int inFeatures, int outFeatures, int epilogue) {
        TaskGraphs.matmul(g, context, name, false, layerStep, x, weight, inFeatures * outFeatures, bias, outFeatures,
                out, noGate, inFeatures, outFeatures, epilogue);
    }

    private TaskGraph downloadGraph() {
        TaskGraph g = graph(DOWNLOAD, downloadStep);
        g.task("download_rows", Rows::copyRows, context, downloadStep, hidden, downloaded, config.hiddenSize());
        g.transferToHost(DataTransferMode.EVERY_EXECUTION, downloaded);
        elementwiseGrid(DOWNLOAD, "download_rows", downloaded.getSize());
        return g;
    }

    private TaskGraph projectorGraph() {
        List<Linear> linears = projector.linears();
        TaskGraph g = graph(PROJECT, projectStep, projectIn);
        FloatArray in = projectIn;
        for (int i = 0; i < linears.size(); i++) {
            Linear linear = linears.get(i);
            boolean last = i + 1 == linears.size();
            // The last linear writes a scratch buffer copied out per call; intermediate ones feed the activation.
            FloatArray out = new FloatArray(tokens * linear.outFeatures());
            TaskGraphs.matmul(g, context, "linear_" + i, false, projectStep, in, projectorWeights.get(i), 0,
                    projectorBiases.get(i), 0, out, noGate, linear.inFeatures(), linear.outFeatures(), Matmul.STORE);
            grids.addWorkerGrid(PROJECT + ".linear_" + i, TaskGraphs.tiles(tokens, linear.outFeatures()));
            if (!last) {
                activation(g, "activation_" + i, projector.activation(), projectStep, out, linear.outFeatures());
                elementwiseGrid(PROJECT, "activation_" + i, (long) tokens * linear.outFeatures());
            }
            in = out;
        }
        // Only the rows asked for go back: copied into the output buffer, which is transferred whole.
        g.task("projected_rows", Rows::copyRows, context, projectStep, in, projectOut, projector.outputSize());
        g.transferToHost(DataTransferMode.EVERY_EXECUTION, projectOut);
        elementwiseGrid(PROJECT, "projected_rows", (long) tokens * projector.outputSize());
        return g;
    }

    /** Task {@code name}: the activation named in a config, in place over step[ROWS] rows of {@code width}. */
    void activation(TaskGraph g, String name, String function, IntArray step, FloatArray x, int width) {
        switch (function) {
            case "quick_gelu" -> g.task(name, Activations::quickGelu, context, step, x, width);
            case "gelu" -> g.task(name, Activations::gelu, context, step, x, width);
            case "gelu_pytorch_tanh", "gelu_new" -> g.task(name, Activations::geluTanh, context, step, x, width);
            case "silu", "swish" -> g.task(name, Activations::silu, context, step, x, width);
            default -> throw new dev.mod4j.loaders.config.ConfigException("hidden_act", "activation '" + function
                    + "' has no TornadoVM kernel (quick_gelu, gelu, gelu_pytorch_tanh, gelu_new, silu);"
                    + " use --backend cpu");
        }
    }

    void elementwiseGrid(String graph, String task, long items) {
        grids.addWorkerGrid(graph + "." + task, TaskGraphs.grid1d(TaskGraphs.roundUp(items, ELEMENTWISE_LOCAL_SIZE),
                ELEMENTWISE_LOCAL_SIZE));
    }
}
