package dev.mod4j.tornado;

import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.runtime.backend.ConvNextTrunk;
import dev.mod4j.runtime.backend.PatchColumns;
import dev.mod4j.runtime.tensor.WeightMatrix;
import dev.mod4j.runtime.weights.ConvNextWeights;
import dev.mod4j.runtime.weights.ConvNextWeights.Block;
import dev.mod4j.runtime.weights.ConvNextWeights.Stage;
import dev.mod4j.tornado.kernels.Activations;
import dev.mod4j.tornado.kernels.Convolutions;
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
import java.util.function.BiConsumer;

/**
 * A timm ConvNeXt trunk (LLaVA-HR's slow branch, Mini-Gemini's auxiliary tower) as one TornadoVM execution plan, the
 * same mathematics as {@link dev.mod4j.runtime.cpu.CpuConvNextEncoder} with maps channels-last:
 *
 * <ol>
 *   <li>{@code convnext_weights}: uploads every weight once (per stage, all blocks back to back per kind of tensor)
 *       and allocates the map [positions × width], sized for stage 0, the largest;</li>
 *   <li>{@code convnext_stem}: the image's k×k patches in (im2col on the host), the stem convolution as a matrix
 *       product, LayerNorm2d (a LayerNorm over each position's channels);</li>
 *   <li>{@code convnext_downsample_S} (stages 1–3): LayerNorm2d, the 2×2 patches gathered on the device, the stride-2
 *       convolution as a matrix product;</li>
 *   <li>{@code convnext_block_S}: one block of stage S, serving every block of the stage (the block index in the
 *       {@link Step} array): depthwise k×k convolution, LayerNorm, fc1, GELU, fc2, layer scale, residual;</li>
 *   <li>{@code convnext_download_S}: stage S's map to the host.</li>
 * </ol>
 *
 * Per image the patches go in once and the maps asked for (the last stage's, or every stage's for Mini-Gemini) come
 * out; the map stays on the device from the stem to the last block. With an {@link Extension} (Mini-Gemini's patch
 * info mining), {@code convnext_keep_S} also copies each stage's map into a buffer of its own, which the extension's
 * graphs read on the device.
 */
final class ConvNextTaskGraphs implements ConvNextTrunk, AutoCloseable {
    static final String WEIGHTS = "convnext_weights";
    static final String STEM = "convnext_stem";
    static final String DOWNSAMPLE = "convnext_downsample_";
    static final String BLOCK = "convnext_block_";
    static final String DOWNLOAD = "convnext_download_";
    static final String KEEP = "convnext_keep_";

    /** Graphs another encoder adds to this plan; they read every stage's map ({@link #stageMap}) on the device. */
    interface Extension {
        /** Weights and buffers uploaded once with the trunk's and shared by every graph. */
        List<TornadoNativeArray> buffers(WeightPrecision precision);

        /** The extension's graphs, built after the trunk's. */
        List<TaskGraph> graphs(ConvNextTaskGraphs trunk);
    }
    private static final int ELEMENTWISE_LOCAL_SIZE = 64;
    /** timm's LayerNorm / LayerNorm2d default, which convnext_large_mlp keeps (as the CPU backend). */
    private static final float LAYER_NORM_EPS = 1e-6f;

    private final ConvNextWeights weights;
    private final int imageSize;
    private final Object deviceLock;
    private final WeightPrecision precision;
    private final List<TornadoNativeArray> shared = new ArrayList<>();
    private final GridScheduler grids = new GridScheduler();
    private final KernelContext context = new KernelContext();
    private final Map<String, Integer> graphIndex = new HashMap<>();
    private final TornadoExecutionPlan plan;

    /** Side of each stage's map. */
    private final int[] sides;
    /** The image's patches [positions of stage 0 × 3·patch²], copied in with every image. */
    private final FloatArray columns;
    /** The map of the stage being computed, channels-last; sized for stage 0. */
    private final FloatArray map;
    private final StemWeights stemWeights;
    /** Per stage; null for stage 0, which has no downsample. */
    private final List<DownsampleWeights> downsampleWeights = new ArrayList<>();
    private final List<BlockWeights> blockWeights = new ArrayList<>();
    private final List<IntArray> blockSteps = new ArrayList<>();
    private final List<FloatArray> downloaded = new ArrayList<>();
    /** Each stage's map, kept on the device for an extension; empty without one. */
    private final List<FloatArray> stageMaps = new ArrayList<>();
    /** The products' gate argument, unread by their STORE epilogue. */
    private final FloatArray noGate = new FloatArray(1);
    private long imagesRun;

    ConvNextTaskGraphs(ConvNextWeights weights, int imageSize, TornadoDevice device, boolean halfFloatDevice,
                       Object deviceLock) {
        this(weights, imageSize, device, halfFloatDevice, deviceLock, null);
    }

    ConvNextTaskGraphs(ConvNextWeights weights, int imageSize, TornadoDevice device, boolean halfFloatDevice,
                       Object deviceLock, Extension extension) {
        this.weights = weights;
        this.imageSize = imageSize;
        this.deviceLock = deviceLock;
        int patch = weights.stemPatch();
        if (imageSize % weights.stride() != 0) {
            throw new IllegalArgumentException("ConvNeXt: image side " + imageSize + " is not a multiple of the trunk's"
                    + " stride " + weights.stride());
        }
        List<Stage> stages = weights.stages();
        this.sides = new int[stages.size()];
        for (int s = 0; s < stages.size(); s++) {
            sides[s] = imageSize / patch >> s;
        }
        this.precision = WeightPrecision.forDevice(halfFloatDevice, commonType(weights));
        int positions0 = sides[0] * sides[0];
        this.columns = new FloatArray(Math.multiplyExact(positions0, 3 * patch * patch));
        this.map = new FloatArray(Math.multiplyExact(positions0, stages.getFirst().width()));
        shared.add(map);
        shared.add(noGate);
        // Every weight first, so that each graph can consume the complete list.
        this.stemWeights = new StemWeights(upload(DeviceWeights.matrices(List.of(weights.stem()), x -> x, precision)),
                upload(weights.stemBias()), upload(weights.stemNormWeight()), upload(weights.stemNormBias()));
        for (int s = 0; s < stages.size(); s++) {
            Stage stage = stages.get(s);
            downsampleWeights.add(stage.downsample() == null ? null : new DownsampleWeights(
                    upload(stage.downsampleNormWeight()), upload(stage.downsampleNormBias()),
                    upload(DeviceWeights.matrices(List.of(stage.downsample()), x -> x, precision)),
                    upload(stage.downsampleBias())));
            blockWeights.add(blockWeights(s));
            if (extension != null) {
                stageMaps.add(upload(new FloatArray(Math.multiplyExact(sides[s] * sides[s], stage.width()))));
            }
        }
        if (extension != null) {
            shared.addAll(extension.buffers(precision));
        }

        List<TaskGraph> graphs = new ArrayList<>();
        graphs.add(TaskGraphs.uploadGraph(WEIGHTS, shared));
        graphs.add(stemGraph());
        for (int s = 0; s < stages.size(); s++) {
            if (stages.get(s).downsample() != null) {
                graphs.add(downsampleGraph(s));
            }
            graphs.add(blockGraph(s));
            graphs.add(downloadGraph(s));
            if (extension != null) {
                graphs.add(keepGraph(s));
            }
        }
        if (extension != null) {
            graphs.addAll(extension.graphs(this));
        }
        for (int i = 0; i < graphs.size(); i++) {
            graphIndex.put(graphs.get(i).getTaskGraphName(), i);
        }
        plan = new TornadoExecutionPlan(graphs.stream().map(TaskGraph::snapshot).toArray(ImmutableTaskGraph[]::new));
        plan.withDevice(device).withGridScheduler(grids);
        execute(WEIGHTS);
    }

    private static DType commonType(ConvNextWeights w) {
        List<WeightMatrix> matrices = new ArrayList<>();
        matrices.add(w.stem());
        for (Stage stage : w.stages()) {
            if (stage.downsample() != null) {
                matrices.add(stage.downsample());
            }
            for (Block b : stage.blocks()) {
                matrices.add(b.fc1().weight());
                matrices.add(b.fc2().weight());
            }
        }
        DType common = matrices.getFirst().dtype();
        return matrices.stream().allMatch(x -> x.dtype() == common) ? common : null;
    }

    @Override
    public ConvNextWeights weights() {
        return weights;
    }

    /** Images run through the trunk on the device so far. */
    long imagesRun() {
        synchronized (deviceLock) {
            return imagesRun;
        }
    }

    @Override
    public float[] forward(float[] pixels, int size, BiConsumer<Integer, float[]> stageObserver) {
        if (size != imageSize || pixels.length != 3 * size * size) {
            throw new IllegalArgumentException("ConvNeXt task graphs are built for [3, " + imageSize + ", " + imageSize
                    + "] images, got " + pixels.length + " values for side " + size);
        }
        float[] patches = PatchColumns.of(pixels, 3, size, size, weights.stemPatch());
        synchronized (deviceLock) {
            MemorySegment.copy(patches, 0, columns.getSegment(), ValueLayout.JAVA_FLOAT, 0, columns.getSize());
            execute(STEM);
            List<Stage> stages = weights.stages();
            float[] last = null;
            for (int s = 0; s < stages.size(); s++) {
                if (stages.get(s).downsample() != null) {
                    execute(DOWNSAMPLE + s);
                }
                IntArray step = blockSteps.get(s);
                for (int b = 0; b < stages.get(s).blocks().size(); b++) {
                    step.set(Step.LAYER, b);
                    execute(BLOCK + s);
                }
                if (stageObserver != null || s + 1 == stages.size()) {
                    execute(DOWNLOAD + s);
                    FloatArray out = downloaded.get(s);
                    last = new float[out.getSize()];
                    MemorySegment.copy(out.getSegment(), ValueLayout.JAVA_FLOAT, 0, last, 0, last.length);
                    if (stageObserver != null) {
                        stageObserver.accept(s, last.clone());
                    }
                }
            }
            imagesRun++;
            return last;
        }
    }

    /**
     * Runs the trunk on an image and keeps every stage's map on the device ({@link #stageMap}) for the extension's
     * graphs; nothing comes back. Call with the device lock held.
     */
    void forwardKeepingStages(float[] pixels) {
        if (stageMaps.isEmpty()) {
            throw new IllegalStateException("these ConvNeXt graphs were built without an extension to keep stages for");
        }
        if (pixels.length != 3 * imageSize * imageSize) {
            throw new IllegalArgumentException("ConvNeXt task graphs are built for [3, " + imageSize + ", " + imageSize
                    + "] images, got " + pixels.length + " values");
        }
        float[] patches = PatchColumns.of(pixels, 3, imageSize, imageSize, weights.stemPatch());
        MemorySegment.copy(patches, 0, columns.getSegment(), ValueLayout.JAVA_FLOAT, 0, columns.getSize());
        execute(STEM);
        List<Stage> stages = weights.stages();
        for (int s = 0; s < stages.size(); s++) {
            if (stages.get(s).downsample() != null) {
                execute(DOWNSAMPLE + s);
            }
            IntArray step = blockSteps.get(s);
            for (int b = 0; b < stages.get(s).blocks().size(); b++) {
                step.set(Step.LAYER, b);
                execute(BLOCK + s);
            }
            execute(KEEP + s);
        }
        imagesRun++;
    }

    /** Stage {@code s}'s map [side² × width], channels-last, as the last {@link #forwardKeepingStages} left it. */
    FloatArray stageMap(int s) {
        return stageMaps.get(s);
    }

    /** Side of stage {@code s}'s map. */
    int side(int s) {
        return sides[s];
    }

    KernelContext context() {
        return context;
    }

    GridScheduler grids() {
        return grids;
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
            throw new IllegalStateException("releasing the TornadoVM execution plan of the ConvNeXt trunk failed", e);
        }
    }

    // ---- graph construction -------------------------------------------------------------------------------------

    private FloatArray upload(float[] values) {
        FloatArray a = FloatArray.fromArray(values);
        shared.add(a);
        return a;
    }

    private <T extends TornadoNativeArray> T upload(T a) {
        shared.add(a);
        return a;
    }

    private static IntArray step(int rows) {
        IntArray step = new IntArray(Step.SIZE);
        step.set(Step.ROWS, rows);
        return step;
    }

    /** A graph that consumes the shared buffers and copies {@code in} to the device with every execution. */
    TaskGraph graph(String name, Object... in) {
        TaskGraph g = new TaskGraph(name);
        g.consumeFromDevice(WEIGHTS, shared.toArray());
        g.transferToDevice(DataTransferMode.EVERY_EXECUTION, in);
        return g;
    }

    private record StemWeights(TornadoNativeArray conv, FloatArray bias, FloatArray normWeight, FloatArray normBias) {
    }

    private record DownsampleWeights(FloatArray normWeight, FloatArray normBias, TornadoNativeArray conv,
                                     FloatArray bias) {
    }

    /** A stage's blocks, back to back per kind of tensor. */
    private record BlockWeights(FloatArray depthwise, FloatArray depthwiseBias, FloatArray normWeight,
                                FloatArray normBias, TornadoNativeArray fc1, FloatArray fc1Bias,
                                TornadoNativeArray fc2, FloatArray fc2Bias, FloatArray layerScale, int kernel,
                                int hidden) {
    }

    private BlockWeights blockWeights(int s) {
        Stage stage = weights.stages().get(s);
        List<Block> blocks = stage.blocks();
        int width = stage.width();
        int k = blocks.getFirst().kernel();
        int hidden = blocks.getFirst().fc1().outFeatures();
        for (Block b : blocks) {
            if (b.kernel() != k || b.fc1().outFeatures() != hidden) {
                throw new UnsupportedOperationException("ConvNeXt stage " + s + ": blocks of different kernel sizes or"
                        + " MLP widths; the TornadoVM graphs serve one shape per stage");
            }
        }
        return new BlockWeights(upload(DeviceWeights.vectors(blocks, Block::depthwise, k * k * width)),
                upload(DeviceWeights.vectors(blocks, Block::depthwiseBias, width)),
                upload(DeviceWeights.vectors(blocks, Block::normWeight, width)),
                upload(DeviceWeights.vectors(blocks, Block::normBias, width)),
                upload(DeviceWeights.matrices(blocks, b -> b.fc1().weight(), precision)),
                upload(DeviceWeights.biases(blocks, Block::fc1, hidden)),
                upload(DeviceWeights.matrices(blocks, b -> b.fc2().weight(), precision)),
                upload(DeviceWeights.biases(blocks, Block::fc2, width)),
                upload(DeviceWeights.vectors(blocks, Block::layerScale, width)), k, hidden);
    }

    private TaskGraph stemGraph() {
        int width = weights.stem().outFeatures();
        int positions = sides[0] * sides[0];
        int patchLength = weights.stem().inFeatures();
        StemWeights w = stemWeights;
        FloatArray convolved = new FloatArray(Math.multiplyExact(positions, width));
        IntArray step = step(positions);
        TaskGraph g = graph(STEM, step, columns);
        TaskGraphs.matmul(g, context, "stem_conv", false, step, columns, w.conv(), 0, w.bias(), 0, convolved, noGate,
                patchLength, width, Matmul.STORE);
        g.task("stem_norm", Norms::layerNorm, context, step, convolved, w.normWeight(), w.normBias(), 0, map, width,
                LAYER_NORM_EPS);
        grids.addWorkerGrid(STEM + ".stem_conv", TaskGraphs.tiles(positions, width));
        normGrid(STEM, "stem_norm", positions);
        return g;
    }

    private TaskGraph downsampleGraph(int s) {
        Stage stage = weights.stages().get(s);
        int in = weights.stages().get(s - 1).width();
        int out = stage.width();
        int before = sides[s - 1] * sides[s - 1];
        int after = sides[s] * sides[s];
        DownsampleWeights w = downsampleWeights.get(s);
        FloatArray normed = new FloatArray(Math.multiplyExact(before, in));
        FloatArray gathered = new FloatArray(Math.multiplyExact(after, 4 * in));
        IntArray beforeStep = step(before);
        IntArray afterStep = step(after);
        String name = DOWNSAMPLE + s;
        TaskGraph g = graph(name, beforeStep, afterStep);
        g.task("downsample_norm", Norms::layerNorm, context, beforeStep, map, w.normWeight(), w.normBias(), 0, normed,
                in, LAYER_NORM_EPS);
        g.task("gather_patches", Convolutions::gatherPatches, context, afterStep, normed, gathered, in, sides[s - 1],
                2);
        TaskGraphs.matmul(g, context, "downsample_conv", false, afterStep, gathered, w.conv(), 0, w.bias(), 0, map,
                noGate, 4 * in, out, Matmul.STORE);
        normGrid(name, "downsample_norm", before);
        elementwiseGrid(name, "gather_patches", (long) after * 4 * in);
        grids.addWorkerGrid(name + ".downsample_conv", TaskGraphs.tiles(after, out));
        return g;
    }

    private TaskGraph blockGraph(int s) {
        BlockWeights w = blockWeights.get(s);
        int width = weights.stages().get(s).width();
        int k = w.kernel();
        int hidden = w.hidden();
        int positions = sides[s] * sides[s];
        FloatArray mixed = new FloatArray(Math.multiplyExact(positions, width));
        FloatArray normed = new FloatArray(Math.multiplyExact(positions, width));
        FloatArray mlp = new FloatArray(Math.multiplyExact(positions, hidden));
        FloatArray out = new FloatArray(Math.multiplyExact(positions, width));
        IntArray step = step(positions);
        blockSteps.add(step);
        String name = BLOCK + s;
        TaskGraph g = graph(name, step);
        g.task("conv_dw", Convolutions::depthwise, context, step, map, w.depthwise(), k * k * width, w.depthwiseBias(),
                mixed, sides[s], sides[s], width, k);
        g.task("norm", Norms::layerNorm, context, step, mixed, w.normWeight(), w.normBias(), width, normed, width,
                LAYER_NORM_EPS);
        TaskGraphs.matmul(g, context, "fc1", false, step, normed, w.fc1(), width * hidden, w.fc1Bias(), hidden, mlp,
                noGate, width, hidden, Matmul.STORE);
        g.task("gelu", Activations::gelu, context, step, mlp, hidden);
        TaskGraphs.matmul(g, context, "fc2", false, step, mlp, w.fc2(), width * hidden, w.fc2Bias(), width, out,
                noGate, hidden, width, Matmul.STORE);
        g.task("layer_scale", Convolutions::scaleAndAdd, context, step, out, w.layerScale(), map, width);
        elementwiseGrid(name, "conv_dw", (long) positions * width);
        normGrid(name, "norm", positions);
        grids.addWorkerGrid(name + ".fc1", TaskGraphs.tiles(positions, hidden));
        elementwiseGrid(name, "gelu", (long) positions * hidden);
        grids.addWorkerGrid(name + ".fc2", TaskGraphs.tiles(positions, width));
        elementwiseGrid(name, "layer_scale", (long) positions * width);
        return g;
    }

    private TaskGraph downloadGraph(int s) {
        int values = sides[s] * sides[s] * weights.stages().get(s).width();
        FloatArray out = new FloatArray(values);
        downloaded.add(out);
        IntArray step = step(values);
        String name = DOWNLOAD + s;
        TaskGraph g = graph(name, step);
        g.task("download_map", Rows::copyRows, context, step, map, out, 1);
        g.transferToHost(DataTransferMode.EVERY_EXECUTION, out);
        elementwiseGrid(name, "download_map", values);
        return g;
    }

    private TaskGraph keepGraph(int s) {
        int values = sides[s] * sides[s] * weights.stages().get(s).width();
        IntArray step = step(values);
        String name = KEEP + s;
        TaskGraph g = graph(name, step);
        g.task("keep_map", Rows::copyRows, context, step, map, stageMaps.get(s), 1);
        elementwiseGrid(name, "keep_map", values);
        return g;
    }

    void normGrid(String graph, String task, int rows) {
        grids.addWorkerGrid(graph + "." + task, TaskGraphs.grid1d((long) rows * Norms.LOCAL_SIZE, Norms.LOCAL_SIZE));
    }

    void elementwiseGrid(String graph, String task, long items) {
        grids.addWorkerGrid(graph + "." + task, TaskGraphs.grid1d(TaskGraphs.roundUp(items, ELEMENTWISE_LOCAL_SIZE),
                ELEMENTWISE_LOCAL_SIZE));
    }
}
