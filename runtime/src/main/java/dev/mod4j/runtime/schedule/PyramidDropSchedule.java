package dev.mod4j.runtime.schedule;

import dev.mod4j.runtime.accounting.PyramidDropStages;

import java.util.Arrays;
import java.util.List;

/**
 * PyramidDrop (docs/methods.md §5): after each listed layer (1-based), rank the remaining image tokens by the head-mean
 * attention of the last instruction token, computed with the NEXT layer's input norm and q/k projections at the
 * current (renumbered) positions, and keep int(N_v · ratio) of the original N_v for all later layers. Positions are
 * renumbered compactly after each drop; in decode that is the same as shifting the new token's position down by the
 * tokens dropped before the layer's stage, which {@link PositionRule#CACHE_INDEX} gives.
 */
public final class PyramidDropSchedule implements TokenSchedule {
    private final int[] layerList;
    private final double[] ratios;
    private final PyramidDropStages stages;
    private final ScheduleSpec spec;
    private int originalImageTokens = -1;

    /**
     * @param layerList 1-based layers after which to drop, ascending (default 8, 16, 24)
     * @param ratios    fraction of the ORIGINAL image tokens kept after each listed layer (default 0.5, 0.25, 0.125);
     *                  the leading 1.0 of the released code is implicit
     */
    public PyramidDropSchedule(int[] layerList, double[] ratios) {
        this(layerList, ratios, ScheduleSpec.of("pdrop").with("layers", layerList).with("ratios", ratios));
    }

    private PyramidDropSchedule(int[] layerList, double[] ratios, ScheduleSpec spec) {
        this.spec = spec;
        this.layerList = layerList.clone();
        this.ratios = ratios.clone();
        this.stages = new PyramidDropStages(Arrays.stream(layerList).boxed().toList(),
                Arrays.stream(ratios).boxed().toList());
    }

    @Override
    public String spec() {
        return spec.toString();
    }

    @Override
    public LayerPlan plan(int layer, ScheduleContext context) {
        if (context.phase() == Phase.PREFILL && layer == 0) {
            originalImageTokens = Rows.image(context).length;
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
        return Rows.keepTopImages(context, scores, keep);
    }

    private int indexOf(int oneBasedLayer) {
        for (int i = 0; i < layerList.length; i++) {
            if (layerList[i] == oneBasedLayer) {
                return i;
            }
        }
        return -1;
    }

    /** {@code pdrop:layers=8,16,24;ratios=0.5,0.25,0.125}. */
    public static final class Method implements ScheduleMethod {
        @Override
        public String name() {
            return "pdrop";
        }

        @Override
        public String summary() {
            return "after each listed layer, keep the image tokens the last instruction token attends to most"
                    + " (PyramidDrop)";
        }

        @Override
        public List<ScheduleKey> keys() {
            return List.of(ScheduleKey.of("layers", "1-based layers after which to drop, ascending", "1..L-1",
                            "L/4, L/2, 3L/4 (8,16,24 for 32 layers)"),
                    ScheduleKey.of("ratios", "fraction of the original image tokens kept after each listed layer,"
                            + " non-increasing, one per layer", "(0, 1]", "0.5,0.25,0.125, then halving"));
        }

        @Override
        public TokenSchedule create(ScheduleArguments arguments) {
            int layers = arguments.layers();
            // The released default 8,16,24 for 32 layers, i.e. after each quarter; scaled to other depths.
            int[] quarters = java.util.stream.IntStream.of(layers / 4, layers / 2, 3 * layers / 4)
                    .filter(l -> l >= 1 && l <= layers - 1).distinct().toArray();
            int[] list = arguments.intList("layers", quarters, 1, layers - 1);
            double[] defaultRatios = Arrays.copyOf(new double[]{0.5, 0.25, 0.125}, list.length);
            for (int i = 3; i < defaultRatios.length; i++) {
                defaultRatios[i] = defaultRatios[i - 1] / 2;
            }
            double[] ratios = arguments.doubleList("ratios", defaultRatios);
            if (list.length != ratios.length) {
                throw arguments.bad("ratios", String.valueOf(ratios.length) + " values", "must match the "
                        + list.length + " layers");
            }
            for (int i = 0; i < list.length; i++) {
                if (i > 0 && list[i] <= list[i - 1]) {
                    throw arguments.bad("layers", Arrays.toString(list), "must be strictly ascending");
                }
                if (!(ratios[i] > 0 && ratios[i] <= 1) || i > 0 && ratios[i] > ratios[i - 1]) {
                    throw arguments.bad("ratios", Arrays.toString(ratios), "must be in (0, 1] and non-increasing");
                }
            }
            return new PyramidDropSchedule(list, ratios, arguments.canonical());
        }
    }
}
