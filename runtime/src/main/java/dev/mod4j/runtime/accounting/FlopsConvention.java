package dev.mod4j.runtime.accounting;

/**
 * The four ways of counting a decoder's compute. The papers report "TFLOPs" under incompatible conventions
 * (docs/methods.md §2), so a number is only comparable with numbers of the same convention; §2.1 gives check values.
 * In the formulas {@code n} is the layer's counted token count (which tokens count differs, see each constant),
 * {@code d} the hidden size and {@code m} the MLP width. The three paper formulas charge attention a full
 * {@code n²} square (no causal halving) and ignore the LM head, GQA and the KV cache of earlier passes.
 */
public enum FlopsConvention {
    /**
     * γ-MoD ({@code gamma_mod/eval/cal_flops.py}): {@code 8·n·d² + 4·n²·d + 6·n·d·m} <b>FLOPs</b> (2 per
     * multiply-add), {@code n} = <b>all tokens</b> the layer processed. γ-MoD applies it to a fixed dataset-average
     * sequence length (1400 for LLaVA-HR), shortened to {@code trunc(N·(1 − s))} in MoD layers.
     */
    GAMMA_MOD(Unit.FLOPS) {
        @Override
        public long countedTokens(LayerTokenCounts counts) {
            return counts.processedTokens();
        }

        @Override
        public long layerCost(ModelShape shape, LayerTokenCounts counts) {
            long n = countedTokens(counts);
            long d = shape.hidden();
            return 8 * n * d * d + 4 * n * n * d + 6 * n * d * shape.intermediate();
        }
    },

    /**
     * PyramidDrop (derived from its paper's tables and issues #11, #20): {@code 4·n·d² + 2·n²·d + 3·n·d·m}
     * <b>MACs</b>, {@code n} = <b>image tokens only</b>; text tokens and decode steps cost nothing.
     */
    PDROP(Unit.MACS) {
        @Override
        public long countedTokens(LayerTokenCounts counts) {
            return counts.processed().image();
        }

        @Override
        public long layerCost(ModelShape shape, LayerTokenCounts counts) {
            long n = countedTokens(counts);
            long d = shape.hidden();
            return 4 * n * d * d + 2 * n * n * d + 3 * n * d * shape.intermediate();
        }
    },

    /**
     * FastV (paper, FLOPs-estimation paragraph): {@code 4·n·d² + 2·n²·d + 2·n·d·m} <b>MACs</b>, the MLP counted as
     * two matrices. Which tokens count is not settled (docs/methods.md §2, §10); <b>we count all processed tokens</b>,
     * because the only ratio FastV states for a concrete setting (README: "FLOPs = 57%" for K = 3, R = 50%) is
     * matched better by a ~640-token prompt counted in full (58.5%) than by the 576 image tokens alone (54.0%).
     * Image-only ratios (the paper's "related to image tokens") come out of a pass without text tokens.
     */
    FASTV(Unit.MACS) {
        @Override
        public long countedTokens(LayerTokenCounts counts) {
            return counts.processedTokens();
        }

        @Override
        public long layerCost(ModelShape shape, LayerTokenCounts counts) {
            long n = countedTokens(counts);
            long d = shape.hidden();
            return 4 * n * d * d + 2 * n * n * d + 2 * n * d * shape.intermediate();
        }
    },

    /**
     * Our exact count of <b>multiply-adds</b> ({@link ExactLayerMacs}): processed rows through the GQA projections
     * and SwiGLU, attention over the keys each row actually saw (causal, earlier passes' cache included), the
     * schedule's selection overhead, and the LM head for the rows that produced logits. It also stands in for
     * p-MoD's numbers, which were measured with the DeepSpeed FLOPs profiler and have no formula (p-MoD issue #6).
     * Unlike the papers' formulas it counts the attention ranking FastV, PyramidDrop and SparseVLM run to choose
     * rows ({@link ExactMacs#attentionRankingMacs}, docs/methods.md §2.3): the papers state the cost of the
     * layers, this convention what the engine runs, so its ratio is the one to set against measured time.
     */
    EXACT(Unit.MACS) {
        @Override
        public long countedTokens(LayerTokenCounts counts) {
            return counts.processedTokens();
        }

        @Override
        public long layerCost(ModelShape shape, LayerTokenCounts counts) {
            return ExactMacs.layerMacs(shape, counts);
        }

        @Override
        public long lmHeadCost(ModelShape shape, int logitRows) {
            return ExactMacs.lmHeadMacs(shape, logitRows);
        }
    };

    /** What a convention's number counts. */
    public enum Unit {
        /** Floating-point operations: a multiply-add counts 2. */
        FLOPS,
        /** Multiply-adds. */
        MACS
    }

    private final Unit unit;

    FlopsConvention(Unit unit) {
        this.unit = unit;
    }

    public Unit unit() {
        return unit;
    }

    /** The {@code n} this convention puts into its formula for a layer. */
    public abstract long countedTokens(LayerTokenCounts counts);

    /** One layer's cost in this convention's {@link #unit()}. */
    public abstract long layerCost(ModelShape shape, LayerTokenCounts counts);

    /** The LM head's cost; only {@link #EXACT} counts it, the papers' formulas cover decoder layers only. */
    public long lmHeadCost(ModelShape shape, int logitRows) {
        return 0;
    }
}
