package dev.mod4j.tornado;

import dev.mod4j.runtime.tensor.Linear;
import dev.mod4j.runtime.weights.MultiPathFusionWeights;
import dev.mod4j.runtime.weights.MultiPathFusionWeights.Adapter;
import dev.mod4j.tornado.kernels.Activations;
import dev.mod4j.tornado.kernels.Convolutions;
import dev.mod4j.tornado.kernels.Embeddings;
import dev.mod4j.tornado.kernels.Fusion;
import dev.mod4j.tornado.kernels.Matmul;
import dev.mod4j.tornado.kernels.Norms;
import dev.mod4j.tornado.kernels.Rows;
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
 * LLaVA-HR's fast branch and fusion as graphs added to the CLIP tower's plan ({@link EncoderTaskGraphs.Extension}),
 * the mathematics of {@link dev.mod4j.runtime.cpu.CpuLlavaHrEncoder} (γ-MoD's {@code MultiPathCLIPVisionTower},
 * Yaxin9Luo/Gamma-MOD@5de27f2, gamma_mod/model/multimodal_encoder/multipath_encoder_wapper.py):
 *
 * <ol>
 *   <li>{@code hr_embed}: the resized image's patches and the slow branch's map in; patch embedding, CLIP's patch
 *       positions resampled to the fast grid (on the host, once), {@code pre_layrnorm} into the tower's hidden rows
 *       (no class token row); the slow map into a buffer every later graph reads;</li>
 *   <li>the tower's {@code encoder_layer} over those rows, in four groups;</li>
 *   <li>{@code hr_adapter}: one MR-adapter ({@code S2FStitchAlignModuleV2}), serving the three (the adapter index in
 *       the {@link Step} array): {@code slow_proj(gelu(slow_conv(slow)))};
 *       {@code fast += fast_proj(gelu(dwconv(fast)))};
 *       the gate {@code tanh(gate.2(gelu(gate.0(mean(concat(fast, slow))))))}; {@code fast += gate · slow};</li>
 *   <li>{@code hr_fusion}: {@code align_stages.0}: {@code fast_proj(fast) + slow_proj(slow)}, out to the host.</li>
 * </ol>
 */
final class LlavaHrTaskGraphs implements EncoderTaskGraphs.Extension {
    static final String EMBED = "hr_embed";
    static final String ADAPTER = "hr_adapter";
    static final String FUSION = "hr_fusion";

    private final MultiPathFusionWeights fusion;
    private final int grid;
    private final int tokens;
    private final int fastWidth;
    private final int slowWidth;
    private final int patchLength;
    private final float[] fastPositionRows;

    private final IntArray rowsStep = new IntArray(Step.SIZE);
    private final IntArray adapterStep = new IntArray(Step.SIZE);
    private final IntArray gateStep = new IntArray(Step.SIZE);
    private final FloatArray columns;
    private final FloatArray slowIn;
    private final FloatArray fused;

    // device buffers, built in buffers()
    private FloatArray fastPositions;
    private FloatArray slowMap;
    private TornadoNativeArray slowConv;
    private FloatArray slowConvBias;
    private TornadoNativeArray slowProj;
    private FloatArray slowProjBias;
    private FloatArray fastDepthwise;
    private FloatArray fastDepthwiseBias;
    private TornadoNativeArray fastProj;
    private FloatArray fastProjBias;
    private TornadoNativeArray gateIn;
    private FloatArray gateInBias;
    private TornadoNativeArray gateOut;
    private FloatArray gateOutBias;
    private TornadoNativeArray finalFast;
    private FloatArray finalFastBias;
    private TornadoNativeArray finalSlow;
    private FloatArray finalSlowBias;

    /**
     * @param grid             the fast branch's patches per side (= the slow map's side)
     * @param patchLength      values per patch of the fast image (channels · patch²)
     * @param fastPositionRows CLIP's patch positions resampled to the grid, [grid² × fast width]
     */
    LlavaHrTaskGraphs(MultiPathFusionWeights fusion, int grid, int fastWidth, int patchLength,
                      float[] fastPositionRows) {
        this.fusion = fusion;
        this.grid = grid;
        this.tokens = grid * grid;
        this.fastWidth = fastWidth;
        this.slowWidth = fusion.finalSlow().inFeatures();
        this.patchLength = patchLength;
        this.fastPositionRows = fastPositionRows;
        this.columns = new FloatArray(Math.multiplyExact(tokens, patchLength));
        this.slowIn = new FloatArray(Math.multiplyExact(tokens, slowWidth));
        this.fused = new FloatArray(Math.multiplyExact(tokens, fastWidth));
        rowsStep.set(Step.ROWS, tokens);
        adapterStep.set(Step.ROWS, tokens);
        gateStep.set(Step.ROWS, 1);
        int k = adapters().isEmpty() ? 0 : adapters().getFirst().kernel();
        for (Adapter a : adapters()) {
            if (a.kernel() != k) {
                throw new UnsupportedOperationException("LLaVA-HR: MR-adapters with different kernel sizes; the"
                        + " TornadoVM graph serves one shape");
            }
        }
    }

    private List<Adapter> adapters() {
        return fusion.adapters();
    }

    int adapterCount() {
        return adapters().size();
    }

    @Override
    public int rows() {
        return tokens;
    }

    @Override
    public List<TornadoNativeArray> buffers(WeightPrecision precision) {
        List<Adapter> a = adapters();
        int d = fastWidth;
        fastPositions = FloatArray.fromArray(fastPositionRows);
        slowMap = new FloatArray(tokens * slowWidth);
        finalFast = DeviceWeights.matrices(List.of(fusion.finalFast()), Linear::weight, precision);
        finalFastBias = DeviceWeights.biases(List.of(fusion.finalFast()), x -> x, d);
        finalSlow = DeviceWeights.matrices(List.of(fusion.finalSlow()), Linear::weight, precision);
        finalSlowBias = DeviceWeights.biases(List.of(fusion.finalSlow()), x -> x, d);
        List<TornadoNativeArray> all = new ArrayList<>(List.of(fastPositions, slowMap, finalFast, finalFastBias,
                finalSlow, finalSlowBias));
        if (!a.isEmpty()) {
            int k = a.getFirst().kernel();
            slowConv = DeviceWeights.matrices(a, x -> x.slowConv().weight(), precision);
            slowConvBias = DeviceWeights.biases(a, Adapter::slowConv, slowWidth);
            slowProj = DeviceWeights.matrices(a, x -> x.slowProj().weight(), precision);
            slowProjBias = DeviceWeights.biases(a, Adapter::slowProj, d);
            fastDepthwise = DeviceWeights.vectors(a, Adapter::fastDepthwise, k * k * d);
            fastDepthwiseBias = DeviceWeights.vectors(a, Adapter::fastDepthwiseBias, d);
            fastProj = DeviceWeights.matrices(a, x -> x.fastProj().weight(), precision);
            fastProjBias = DeviceWeights.biases(a, Adapter::fastProj, d);
            gateIn = DeviceWeights.matrices(a, x -> x.gateIn().weight(), precision);
            gateInBias = DeviceWeights.biases(a, Adapter::gateIn, d / 2);
            gateOut = DeviceWeights.matrices(a, x -> x.gateOut().weight(), precision);
            gateOutBias = DeviceWeights.biases(a, Adapter::gateOut, 1);
            all.addAll(List.of(slowConv, slowConvBias, slowProj, slowProjBias, fastDepthwise, fastDepthwiseBias,
                    fastProj, fastProjBias, gateIn, gateInBias, gateOut, gateOutBias));
        }
        return all;
    }

    @Override
    public List<TaskGraph> graphs(EncoderTaskGraphs encoder) {
        List<TaskGraph> graphs = new ArrayList<>(List.of(embedGraph(encoder), fusionGraph(encoder)));
        if (!adapters().isEmpty()) {
            graphs.add(adapterGraph(encoder));
        }
        return graphs;
    }

    /** Hidden rows of the fast branch from the resized image's patches; the slow map to the device. */
    void embed(EncoderTaskGraphs encoder, float[] patchColumns, float[] slow) {
        MemorySegment.copy(patchColumns, 0, columns.getSegment(), ValueLayout.JAVA_FLOAT, 0, columns.getSize());
        MemorySegment.copy(slow, 0, slowIn.getSegment(), ValueLayout.JAVA_FLOAT, 0, slowIn.getSize());
        encoder.execute(EMBED);
    }

    /** MR-adapter {@code index} on the fast rows, in place. */
    void adapt(EncoderTaskGraphs encoder, int index) {
        adapterStep.set(Step.LAYER, index);
        gateStep.set(Step.LAYER, index);
        encoder.execute(ADAPTER);
    }

    /** The fused feature rows [grid² × fast width]. */
    float[] fuse(EncoderTaskGraphs encoder) {
        encoder.execute(FUSION);
        float[] out = new float[fused.getSize()];
        MemorySegment.copy(fused.getSegment(), ValueLayout.JAVA_FLOAT, 0, out, 0, out.length);
        return out;
    }

    private TaskGraph embedGraph(EncoderTaskGraphs e) {
        int d = fastWidth;
        FloatArray patches = new FloatArray(tokens * d);
        FloatArray embedded = new FloatArray(tokens * d);
        TaskGraph g = e.graph(EMBED, rowsStep, columns, slowIn);
        TaskGraphs.matmul(g, e.context(), "patch_embedding", false, rowsStep, columns, e.patchEmbedding(), 0,
                e.noBias(), 0, patches, e.noGate(), patchLength, d, Matmul.STORE);
        g.task("positions", Embeddings::patchesAndPositions, e.context(), rowsStep, patches, fastPositions, embedded,
                d);
        g.task("pre_layrnorm", Norms::layerNorm, e.context(), rowsStep, embedded, e.preLayernormWeight(),
                e.preLayernormBias(), 0, e.hidden(), d, (float) e.config().layerNormEps());
        g.task("slow_map", Rows::copyRows, e.context(), rowsStep, slowIn, slowMap, slowWidth);
        e.grids().addWorkerGrid(EMBED + ".patch_embedding", TaskGraphs.tiles(tokens, d));
        e.elementwiseGrid(EMBED, "positions", (long) tokens * d);
        e.grids().addWorkerGrid(EMBED + ".pre_layrnorm", TaskGraphs.grid1d((long) tokens * Norms.LOCAL_SIZE,
                Norms.LOCAL_SIZE));
        e.elementwiseGrid(EMBED, "slow_map", (long) tokens * slowWidth);
        return g;
    }

    private TaskGraph adapterGraph(EncoderTaskGraphs e) {
        int d = fastWidth;
        int s = slowWidth;
        int k = adapters().getFirst().kernel();
        int gateWidth = d / 2;
        FloatArray slowMid = new FloatArray(tokens * s);
        FloatArray slowAligned = new FloatArray(tokens * d);
        FloatArray mixed = new FloatArray(tokens * d);
        FloatArray means = new FloatArray(2 * d);
        FloatArray gateHidden = new FloatArray(gateWidth);
        FloatArray gateValue = new FloatArray(1);
        TaskGraph g = e.graph(ADAPTER, adapterStep, gateStep);
        var c = e.context();
        // Slow side: slow_proj(gelu(slow_conv(slow))), 1×1 convolutions as products over positions.
        TaskGraphs.matmul(g, c, "slow_conv", false, adapterStep, slowMap, slowConv, s * s, slowConvBias, s, slowMid,
                e.noGate(), s, s, Matmul.STORE);
        g.task("slow_gelu", Activations::gelu, c, adapterStep, slowMid, s);
        TaskGraphs.matmul(g, c, "slow_proj", false, adapterStep, slowMid, slowProj, d * s, slowProjBias, d,
                slowAligned, e.noGate(), s, d, Matmul.STORE);
        // Fast side: fast += fast_proj(gelu(dwconv(fast))).
        g.task("fast_conv", Convolutions::depthwise, c, adapterStep, e.hidden(), fastDepthwise, k * k * d,
                fastDepthwiseBias, mixed, grid, grid, d, k);
        g.task("fast_gelu", Activations::gelu, c, adapterStep, mixed, d);
        TaskGraphs.matmul(g, c, "fast_proj", false, adapterStep, mixed, fastProj, d * d, fastProjBias, d, e.hidden(),
                e.noGate(), d, d, Matmul.ADD);
        // The gate: one scalar per image from the mean of both sides, then fast += tanh(gate) · slow.
        g.task("fast_means", Fusion::columnMeans, c, adapterStep, e.hidden(), means, 0, d);
        g.task("slow_means", Fusion::columnMeans, c, adapterStep, slowAligned, means, d, d);
        TaskGraphs.matmul(g, c, "gate_in", false, gateStep, means, gateIn, gateWidth * 2 * d, gateInBias, gateWidth,
                gateHidden, e.noGate(), 2 * d, gateWidth, Matmul.STORE);
        g.task("gate_gelu", Activations::gelu, c, gateStep, gateHidden, gateWidth);
        TaskGraphs.matmul(g, c, "gate_out", false, gateStep, gateHidden, gateOut, gateWidth, gateOutBias, 1,
                gateValue, e.noGate(), gateWidth, 1, Matmul.STORE);
        g.task("add_gated", Fusion::addTanhGated, c, adapterStep, slowAligned, gateValue, e.hidden(), d);

        String p = ADAPTER + ".";
        e.grids().addWorkerGrid(p + "slow_conv", TaskGraphs.tiles(tokens, s));
        e.elementwiseGrid(ADAPTER, "slow_gelu", (long) tokens * s);
        e.grids().addWorkerGrid(p + "slow_proj", TaskGraphs.tiles(tokens, d));
        e.elementwiseGrid(ADAPTER, "fast_conv", (long) tokens * d);
        e.elementwiseGrid(ADAPTER, "fast_gelu", (long) tokens * d);
        e.grids().addWorkerGrid(p + "fast_proj", TaskGraphs.tiles(tokens, d));
        e.elementwiseGrid(ADAPTER, "fast_means", d);
        e.elementwiseGrid(ADAPTER, "slow_means", d);
        e.grids().addWorkerGrid(p + "gate_in", TaskGraphs.tiles(1, gateWidth));
        e.elementwiseGrid(ADAPTER, "gate_gelu", gateWidth);
        e.grids().addWorkerGrid(p + "gate_out", TaskGraphs.tiles(1, 1));
        e.elementwiseGrid(ADAPTER, "add_gated", (long) tokens * d);
        return g;
    }

    private TaskGraph fusionGraph(EncoderTaskGraphs e) {
        int d = fastWidth;
        TaskGraph g = e.graph(FUSION, rowsStep);
        TaskGraphs.matmul(g, e.context(), "final_fast", false, rowsStep, e.hidden(), finalFast, 0, finalFastBias, 0,
                fused, e.noGate(), d, d, Matmul.STORE);
        TaskGraphs.matmul(g, e.context(), "final_slow", false, rowsStep, slowMap, finalSlow, 0, finalSlowBias, 0,
                fused, e.noGate(), slowWidth, d, Matmul.ADD);
        g.transferToHost(DataTransferMode.EVERY_EXECUTION, fused);
        e.grids().addWorkerGrid(FUSION + ".final_fast", TaskGraphs.tiles(tokens, d));
        e.grids().addWorkerGrid(FUSION + ".final_slow", TaskGraphs.tiles(tokens, d));
        return g;
    }
}
