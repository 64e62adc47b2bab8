package dev.mod4j.runtime.accounting;

import java.util.List;

/**
 * A run's compute under one convention next to the dense model's compute for the same passes, so that every
 * method's saving is stated as a ratio in the same units.
 *
 * @param convention     how the numbers were counted
 * @param layerCost      decoder layers, summed over layers and passes, in {@code convention.unit()}
 * @param lmHeadCost     the LM head (non-zero only under {@link FlopsConvention#EXACT})
 * @param denseLayerCost the dense reference's decoder layers
 * @param denseLmHeadCost the dense reference's LM head (the same rows, so equal to {@code lmHeadCost})
 */
public record FlopsReport(FlopsConvention convention, long layerCost, long lmHeadCost, long denseLayerCost,
                          long denseLmHeadCost) {

    /** Costs {@code run}, and the same passes with every layer dense, under {@code convention}. */
    public static FlopsReport of(FlopsConvention convention, ModelShape shape, List<ForwardPass> run) {
        long layerCost = 0;
        long lmHeadCost = 0;
        long denseLayerCost = 0;
        long denseLmHeadCost = 0;
        int denseCached = 0;
        for (ForwardPass pass : run) {
            if (pass.layers().size() != shape.layers()) {
                throw new IllegalArgumentException("a pass reports " + pass.layers().size() + " layers for a model of "
                        + shape.layers());
            }
            ForwardPass dense = ForwardPass.dense(shape.layers(), pass.input(), denseCached, pass.logitRows());
            denseCached += pass.input().total();
            layerCost += sumLayers(convention, shape, pass);
            denseLayerCost += sumLayers(convention, shape, dense);
            lmHeadCost += convention.lmHeadCost(shape, pass.logitRows());
            denseLmHeadCost += convention.lmHeadCost(shape, dense.logitRows());
        }
        return new FlopsReport(convention, layerCost, lmHeadCost, denseLayerCost, denseLmHeadCost);
    }

    public static FlopsReport of(FlopsConvention convention, ModelShape shape, ForwardPass... run) {
        return of(convention, shape, List.of(run));
    }

    private static long sumLayers(FlopsConvention convention, ModelShape shape, ForwardPass pass) {
        long sum = 0;
        for (LayerTokenCounts layer : pass.layers()) {
            sum += convention.layerCost(shape, layer);
        }
        return sum;
    }

    public long total() {
        return layerCost + lmHeadCost;
    }

    public long denseTotal() {
        return denseLayerCost + denseLmHeadCost;
    }

    /** {@code total / denseTotal}; the papers' "x% of the FLOPs". */
    public double ratioToDense() {
        return denseTotal() == 0 ? 1.0 : (double) total() / denseTotal();
    }

    /** The total in units of 10¹² (the papers' "TFLOPs", whatever the unit). */
    public double totalTera() {
        return total() / 1e12;
    }

    public double denseTotalTera() {
        return denseTotal() / 1e12;
    }
}
