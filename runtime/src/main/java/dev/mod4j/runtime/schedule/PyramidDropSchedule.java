package dev.mod4j.runtime.schedule;

import dev.mod4j.runtime.accounting.PyramidDropStages;

import java.util.Arrays;

/**
 * PyramidDrop (methods.md §5): after each listed layer (1-based), rank the remaining image tokens by the head-mean
 * attention of the last instruction token, computed with the NEXT layer's input norm and q/k projections at the
 * current (renumbered) positions, and keep int(N_v · ratio) of the original N_v for all later layers. Positions are
 * renumbered compactly after each drop; in decode that is the same as shifting the new token's position down by the
 * tokens dropped before the layer's stage, which {@link PositionRule#CACHE_INDEX} gives.
 */
public final class PyramidDropSchedule implements TokenSchedule {
    private final int[] layerList;
    private final double[] ratios;
    private final PyramidDropStages stages;
    private int originalImageTokens = -1;

    /**
     * @param layerList 1-based layers after which to drop, ascending (default 8, 16, 24)
     * @param ratios    fraction of the ORIGINAL image tokens kept after each listed layer (default 0.5, 0.25, 0.125);
     *                  the leading 1.0 of the released code is implicit
     */
    public PyramidDropSchedule(int[] layerList, double[] ratios) {
        this.layerList = layerList.clone();
        this.ratios = ratios.clone();
        this.stages = new PyramidDropStages(Arrays.stream(layerList).boxed().toList(),
                Arrays.stream(ratios).boxed().toList());
    }

    @Override
    public String spec() {
        return "pdrop:layers=" + join(layerList) + ";ratios="
                + String.join(",", Arrays.stream(ratios).mapToObj(Double::toString).toList());
    }

    private static String join(int[] a) {
        return String.join(",", Arrays.stream(a).mapToObj(Integer::toString).toList());
    }


    @Override
    public LayerPlan plan(int layer, ScheduleContext context) {
        if (context.phase() == Phase.PREFILL && layer == 0) {
            originalImageTokens = FastVSchedule.imageRows(context).length;
        }
        return LayerPlan.ALL_CACHE_INDEX;
    }

    @Override
    public int[] survivors(int layer, ScheduleContext context) {
        if (context.phase() != Phase.PREFILL) {
            return null;
        }
        int stage = indexOf(layer + 1);
        if (stage < 0 || originalImageTokens <= 0) {
            return null;
        }
        int keep = stages.stageImageTokens(originalImageTokens)[stage + 1];
        // The query is the last instruction token: at inference, the last prompt token (the ":" of "ASSISTANT:").
        float[] scores = context.attentionFrom(context.rows() - 1, layer + 1, PositionRule.CACHE_INDEX);
        context.traceScores(scores);
        return FastVSchedule.keepTopImageRows(context, scores, keep);
    }

    private int indexOf(int oneBasedLayer) {
        for (int i = 0; i < layerList.length; i++) {
            if (layerList[i] == oneBasedLayer) {
                return i;
            }
        }
        return -1;
    }
}
