package dev.mod4j.runtime.accounting;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExactMacsTest {
    /** d = 4, H = 2, KV = 1 (GQA), d_h = 2, m = 6, vocab 10, one layer. */
    static final ModelShape TINY = new ModelShape(1, 4, 6, 2, 1, 2, 10);

    @Test
    void threeRowPrefillOnAnEmptyCacheMatchesTheHandCount() {
        // Rows n = 3; causal rows see 1, 2, 3 keys: 6 visible keys.
        // q: n·d·H·d_h = 3·4·4 = 48      k: n·d·KV·d_h = 3·4·2 = 24     v: 24
        // o: n·H·d_h·d = 3·4·4 = 48      scores: 6·H·d_h = 24           values: 24
        // MLP: n·3·d·m = 3·3·4·6 = 216
        // total = 48 + 24 + 24 + 48 + 24 + 24 + 216 = 408
        assertEquals(6, ExactMacs.causalVisibleKeys(0, 3));
        ExactLayerMacs macs = ExactLayerMacs.count(TINY, 3, 6, 0);
        assertEquals(new ExactLayerMacs(48, 24, 24, 48, 24, 24, 216, 0), macs);
        assertEquals(408, macs.total());
        assertEquals(408, ExactMacs.layerMacs(TINY, 3, 6));
        // LM head for the one row that produces logits: 1·d·vocab = 40.
        assertEquals(40, ExactMacs.lmHeadMacs(TINY, 1));
    }

    @Test
    void prefillTwoThenDecodeOneCostsTheSameAsOneThreeRowPrefill() {
        TokensByRole two = TokensByRole.prompt(1, 1, 0);
        TokensByRole three = TokensByRole.prompt(1, 1, 1);
        TokensByRole oneMore = new TokensByRole(0, 0, 0, 1);
        // prefill 2 rows (keys 1 + 2 = 3) → 2·(16+8+8+16) + 3·8 + 144 = 264; decode 1 row over 2 cached (3 keys)
        // → 16+8+8+16 + 3·8 + 72 = 144; 264 + 144 = 408.
        ForwardPass prefill = new ForwardPass(two, List.of(LayerTokenCounts.causal(0, two, 2)), 1);
        ForwardPass decode = new ForwardPass(oneMore, List.of(LayerTokenCounts.causal(0, oneMore, 3)), 1);
        assertEquals(264, FlopsConvention.EXACT.layerCost(TINY, prefill.layers().getFirst()));
        assertEquals(144, FlopsConvention.EXACT.layerCost(TINY, decode.layers().getFirst()));

        FlopsReport chunked = FlopsReport.of(FlopsConvention.EXACT, TINY, prefill, decode);
        FlopsReport whole = FlopsReport.of(FlopsConvention.EXACT, TINY, ForwardPass.dense(1, three, 0, 1));
        assertEquals(whole.layerCost(), chunked.layerCost());
        assertEquals(408, chunked.layerCost());
        // A dense run is its own dense reference, LM head included (two passes, one logit row each).
        assertEquals(1.0, chunked.ratioToDense());
        assertEquals(80, chunked.lmHeadCost());
    }

    @Test
    void oneDecodeRowCostsOneMultiplyAddPerLayerWeightPlusItsAttention() {
        ModelShape shape = ModelShape.VICUNA_7B;
        long weightsPerLayer = 4L * 4096 * 4096 + 3L * 4096 * 11008;
        int cached = 99;
        long attention = 2L * 4096 * (cached + 1);
        assertEquals(weightsPerLayer + attention,
                ExactMacs.layerMacs(shape, 1, ExactMacs.causalVisibleKeys(cached, 1)));
    }

    @Test
    void skippedTokensShrinkTheExactCountAndTheDenseReferenceStaysFull() {
        TokensByRole prompt = TokensByRole.prompt(35, 576, 29);
        ForwardPass fastV = ForwardPass.prefill(32, prompt, FastVPruning.DEFAULT.budget(), 1);
        FlopsReport report = FlopsReport.of(FlopsConvention.EXACT, ModelShape.VICUNA_7B, fastV);
        FlopsReport dense = FlopsReport.of(FlopsConvention.EXACT, ModelShape.VICUNA_7B,
                ForwardPass.prefill(32, prompt, ImageTokenBudget.DENSE, 1));
        assertEquals(dense.total(), report.denseTotal());
        assertEquals(dense.total(), dense.denseTotal());
        // Layers 2..31 process 35 + 288 + 29 = 352 of 640 rows, so the ratio lies between 352/640 and 1.
        double ratio = report.ratioToDense();
        assertTrue(ratio > 352.0 / 640 && ratio < 1, "ratio " + ratio);
    }

    @Test
    void selectionOverheadIsCountedOnlyByExact() {
        TokensByRole prompt = TokensByRole.prompt(1, 2, 1);
        LayerTokenCounts plain = LayerTokenCounts.causal(0, prompt, 4);
        LayerTokenCounts withRouter = new LayerTokenCounts(0, prompt, 4, plain.visibleKeys(), 2L * 4 * 4);
        FlopsConvention exact = FlopsConvention.EXACT;
        FlopsConvention gammaMod = FlopsConvention.GAMMA_MOD;
        assertEquals(32, exact.layerCost(TINY, withRouter) - exact.layerCost(TINY, plain));
        assertEquals(gammaMod.layerCost(TINY, plain), gammaMod.layerCost(TINY, withRouter));
    }

    @Test
    void attentionRankingCountsKeyAndQueryProjectionsAndOneDotPerHeadPerVisibleKey() {
        // TINY: d = 4, H·d_h = 4, KV·d_h = 2. Three key rows, queries for the last two (they see 2 + 3 keys):
        // k_proj 3·4·2 = 24, q_proj 2·4·4 = 32, scores (2 + 3)·4 = 20: 76.
        assertEquals(76, ExactMacs.attentionRankingMacs(TINY, 3, 2, 5));
        // PyramidDrop's ranking at the 7B shape over a 640-row prompt, one query (the last row) seeing all 640:
        // 640·4096·4096 (k) + 4096·4096 (q) + 640·4096 (scores) = 10 756 816 896: about 8% of a dense 7B layer
        // (k_proj is d² of the 4d² + 3dm per row), which no paper formula counts.
        assertEquals(10_756_816_896L, ExactMacs.attentionRankingMacs(ModelShape.VICUNA_7B, 640, 1, 640));
        long denseLayer = ExactMacs.layerMacs(ModelShape.VICUNA_7B, 640, ExactMacs.causalVisibleKeys(0, 640));
        double share = 10_756_816_896.0 / denseLayer;
        assertTrue(share > 0.08 && share < 0.085, "share " + share);
    }
}
