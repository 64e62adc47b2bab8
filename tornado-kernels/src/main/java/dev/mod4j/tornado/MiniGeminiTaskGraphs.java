package dev.mod4j.tornado;

import dev.mod4j.loaders.config.ClipVisionConfig;
import dev.mod4j.loaders.config.MiniGeminiConfig;
import dev.mod4j.runtime.cpu.CpuMiniGeminiEncoder.MiningShape;
import dev.mod4j.runtime.vision.Interpolation;
import dev.mod4j.runtime.weights.ConvNextWeights;
import dev.mod4j.runtime.weights.PatchInfoMiningWeights;
import dev.mod4j.runtime.weights.PatchInfoMiningWeights.NormedLinear;
import dev.mod4j.tornado.kernels.Matmul;
import dev.mod4j.tornado.kernels.Norms;
import dev.mod4j.tornado.kernels.PatchMining;
import dev.mod4j.tornado.kernels.Step;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;
import uk.ac.manchester.tornado.api.types.arrays.TornadoNativeArray;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * Mini-Gemini's patch info mining as a graph added to the auxiliary ConvNeXt's plan
 * ({@link ConvNextTaskGraphs.Extension}), so that the four stage maps never leave the device: the mathematics of
 * {@link dev.mod4j.runtime.cpu.CpuMiniGeminiEncoder} (mgm_arch.py {@code unified_resampler},
 * Yaxin9Luo/Gamma-MOD@5de27f2). {@code mgm_mining} takes a chunk of one view's consecutive tokens (whole rows of
 * tokens, at most {@link #WINDOW_VALUES_PER_CHUNK} window values): their CLIP rows in; the window rows gathered from
 * the stage maps (bilinear, on the device); key and value as LayerNorm + Linear of them, query of the CLIP rows;
 * each token's softmax over its window; the mined rows added to the CLIP rows, out.
 */
final class MiniGeminiTaskGraphs implements ConvNextTaskGraphs.Extension {
    static final String MINING = "mgm_mining";
    /** Window values (rows × channels) a chunk gathers at most: 256 MB of float32. */
    static final long WINDOW_VALUES_PER_CHUNK = 1L << 26;
    private static final int ELEMENTWISE_LOCAL_SIZE = 64;

    private final MiniGeminiConfig config;
    private final ConvNextWeights aux;
    private final PatchInfoMiningWeights mining;
    private final MiningShape shape;
    private final int width;
    private final int perSide;
    private final int perToken;
    /** Tokens per chunk (whole rows of a view's tokens). */
    private final int chunkTokens;

    private final IntArray windowStep = new IntArray(Step.SIZE);
    private final IntArray tokenStep = new IntArray(Step.SIZE);
    private final FloatArray clipRows;
    private final FloatArray mined;

    // device buffers, built in buffers()
    private IntArray layout;
    private IntArray taps;
    private FloatArray tapWeights;
    private final FloatArray noGate = new FloatArray(1);
    private DeviceNormedLinear query;
    private DeviceNormedLinear key;
    private DeviceNormedLinear value;

    private record DeviceNormedLinear(FloatArray normWeight, FloatArray normBias, TornadoNativeArray weight,
                                      FloatArray bias) {
    }

    MiniGeminiTaskGraphs(MiniGeminiConfig config, ClipVisionConfig clip, ConvNextWeights aux,
                         PatchInfoMiningWeights mining, MiningShape shape) {
        this(config, clip, aux, mining, shape, WINDOW_VALUES_PER_CHUNK);
    }

    /** As above, with chunks of at most {@code windowValuesPerChunk} window values (at least one row of tokens). */
    MiniGeminiTaskGraphs(MiniGeminiConfig config, ClipVisionConfig clip, ConvNextWeights aux,
                         PatchInfoMiningWeights mining, MiningShape shape, long windowValuesPerChunk) {
        this.config = config;
        this.aux = aux;
        this.mining = mining;
        this.shape = shape;
        this.width = clip.hiddenSize();
        this.perSide = clip.patchesPerSide();
        this.perToken = shape.window() * shape.window();
        long perTokenRow = (long) perSide * perToken * shape.auxWidth();
        int tokenRows = (int) Math.max(1, Math.min(perSide, windowValuesPerChunk / perTokenRow));
        this.chunkTokens = tokenRows * perSide;
        this.clipRows = new FloatArray(chunkTokens * width);
        this.mined = new FloatArray(chunkTokens * width);
    }

    int chunkTokens() {
        return chunkTokens;
    }

    @Override
    public List<TornadoNativeArray> buffers(WeightPrecision precision) {
        int auxSide = shape.auxSide();
        int[] widths = aux.widths();
        layout = new IntArray(PatchMining.SHAPE_SIZE);
        for (int s = 0, offset = 0; s < 4; offset += widths[s], s++) {
            layout.set(PatchMining.WIDTHS + s, widths[s]);
            layout.set(PatchMining.OFFSETS + s, offset);
        }
        layout.set(PatchMining.AUX_SIDE, auxSide);
        layout.set(PatchMining.VIEW_SIDE, shape.viewSide());
        layout.set(PatchMining.WINDOW, shape.window());
        layout.set(PatchMining.PER_SIDE, perSide);
        layout.set(PatchMining.GRID, config.imageGrid());
        layout.set(PatchMining.AUX_WIDTH, shape.auxWidth());
        // Stage s sampled at stage 0's size (identity for stage 0), then the global view's resize by 1/grid.
        taps = new IntArray(10 * auxSide);
        tapWeights = new FloatArray(5 * auxSide);
        for (int s = 0; s < 4; s++) {
            Interpolation.BilinearTaps t = s == 0 ? null : Interpolation.BilinearTaps.of(auxSide >> s, auxSide);
            for (int i = 0; i < auxSide; i++) {
                taps.set(2 * s * auxSide + i, t == null ? i : t.first()[i]);
                taps.set((2 * s + 1) * auxSide + i, t == null ? i : t.second()[i]);
                tapWeights.set(s * auxSide + i, t == null ? 0f : (float) t.weight()[i]);
            }
        }
        Interpolation.BilinearTaps global = Interpolation.BilinearTaps.of(auxSide, shape.viewSide());
        for (int i = 0; i < shape.viewSide(); i++) {
            taps.set(8 * auxSide + i, global.first()[i]);
            taps.set(9 * auxSide + i, global.second()[i]);
            tapWeights.set(4 * auxSide + i, (float) global.weight()[i]);
        }
        query = device(mining.query(), precision);
        key = device(mining.key(), precision);
        value = device(mining.value(), precision);
        // The layout and taps go in once with the mining graph (the upload graph takes float arrays only).
        List<TornadoNativeArray> all = new ArrayList<>(List.of(noGate));
        for (DeviceNormedLinear p : List.of(query, key, value)) {
            all.addAll(List.of(p.normWeight(), p.normBias(), p.weight(), p.bias()));
        }
        return all;
    }

    private static DeviceNormedLinear device(NormedLinear p, WeightPrecision precision) {
        return new DeviceNormedLinear(FloatArray.fromArray(p.normWeight()), FloatArray.fromArray(p.normBias()),
                DeviceWeights.matrices(List.of(p.linear()), l -> l.weight(), precision),
                DeviceWeights.biases(List.of(p.linear()), l -> l, p.linear().outFeatures()));
    }

    @Override
    public List<TaskGraph> graphs(ConvNextTaskGraphs trunk) {
        int auxWidth = shape.auxWidth();
        int windowRows = chunkTokens * perToken;
        FloatArray gathered = new FloatArray(Math.multiplyExact(windowRows, auxWidth));
        FloatArray normed = new FloatArray(Math.multiplyExact(windowRows, auxWidth));
        FloatArray keys = new FloatArray(Math.multiplyExact(windowRows, width));
        FloatArray values = new FloatArray(Math.multiplyExact(windowRows, width));
        FloatArray normedRows = new FloatArray(chunkTokens * width);
        FloatArray queries = new FloatArray(chunkTokens * width);
        FloatArray scores = new FloatArray(chunkTokens * perToken);
        float eps = (float) NormedLinear.LAYER_NORM_EPS;
        var c = trunk.context();
        TaskGraph g = trunk.graph(MINING, windowStep, tokenStep, clipRows);
        g.transferToDevice(DataTransferMode.FIRST_EXECUTION, layout, taps, tapWeights);
        for (int s = 0; s < 4; s++) {
            g.task("gather_stage_" + s, PatchMining::gatherStage, c, windowStep, trunk.stageMap(s), layout, taps,
                    tapWeights, gathered, s);
            trunk.elementwiseGrid(MINING, "gather_stage_" + s, (long) windowRows * aux.widths()[s]);
        }
        g.task("key_norm", Norms::layerNorm, c, windowStep, gathered, key.normWeight(), key.normBias(), 0, normed,
                auxWidth, eps);
        TaskGraphs.matmul(g, c, "key_proj", false, windowStep, normed, key.weight(), 0, key.bias(), 0, keys, noGate,
                auxWidth, width, Matmul.STORE);
        g.task("value_norm", Norms::layerNorm, c, windowStep, gathered, value.normWeight(), value.normBias(), 0,
                normed, auxWidth, eps);
        TaskGraphs.matmul(g, c, "value_proj", false, windowStep, normed, value.weight(), 0, value.bias(), 0, values,
                noGate, auxWidth, width, Matmul.STORE);
        g.task("query_norm", Norms::layerNorm, c, tokenStep, clipRows, query.normWeight(), query.normBias(), 0,
                normedRows, width, eps);
        TaskGraphs.matmul(g, c, "query_proj", false, tokenStep, normedRows, query.weight(), 0, query.bias(), 0,
                queries, noGate, width, width, Matmul.STORE);
        g.task("window_scores", PatchMining::windowScores, c, tokenStep, queries, keys, scores, perToken, width,
                (float) (1 / Math.sqrt(width)));
        g.task("window_softmax", PatchMining::windowSoftmax, c, tokenStep, scores, perToken);
        g.task("add_mined", PatchMining::addMined, c, tokenStep, clipRows, scores, values, mined, perToken, width);
        g.transferToHost(DataTransferMode.EVERY_EXECUTION, mined);

        String p = MINING + ".";
        trunk.normGrid(MINING, "key_norm", windowRows);
        trunk.normGrid(MINING, "value_norm", windowRows);
        trunk.normGrid(MINING, "query_norm", chunkTokens);
        trunk.grids().addWorkerGrid(p + "key_proj", TaskGraphs.tiles(windowRows, width));
        trunk.grids().addWorkerGrid(p + "value_proj", TaskGraphs.tiles(windowRows, width));
        trunk.grids().addWorkerGrid(p + "query_proj", TaskGraphs.tiles(chunkTokens, width));
        trunk.elementwiseGrid(MINING, "window_scores", (long) chunkTokens * perToken);
        trunk.elementwiseGrid(MINING, "window_softmax", chunkTokens);
        trunk.elementwiseGrid(MINING, "add_mined", (long) chunkTokens * width);
        return List.of(g);
    }

    /**
     * Mines {@code tokens} tokens of view {@code view} (tiles row-major, then the global view) from token
     * {@code firstToken}: {@code rows} holds their CLIP rows from {@code at}; the mined rows go to {@code out} from
     * {@code outAt}. Call with the device lock held, after the trunk has kept its stages.
     */
    void mine(ConvNextTaskGraphs trunk, int view, int firstToken, int tokens, float[] rows, int at, float[] out,
              int outAt) {
        windowStep.set(Step.ROWS, tokens * perToken);
        windowStep.set(Step.BASE, firstToken);
        windowStep.set(Step.LAYER, view);
        tokenStep.set(Step.ROWS, tokens);
        MemorySegment.copy(rows, at, clipRows.getSegment(), ValueLayout.JAVA_FLOAT, 0, tokens * width);
        trunk.execute(MINING);
        MemorySegment.copy(mined.getSegment(), ValueLayout.JAVA_FLOAT, 0, out, outAt, tokens * width);
    }
}
