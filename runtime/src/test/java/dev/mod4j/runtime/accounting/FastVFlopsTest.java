package dev.mod4j.runtime.accounting;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** FastV's MAC convention (2-matrix MLP), docs/methods.md §2 and §2.1. */
class FastVFlopsTest {

    static double ratio(FastVPruning pruning, TokensByRole prompt) {
        ForwardPass pass = ForwardPass.prefill(32, prompt, pruning.budget(), 1);
        return FlopsReport.of(FlopsConvention.FASTV, ModelShape.VICUNA_7B, pass).ratioToDense();
    }

    @Test
    void imageTokensOnlyK2R50Is52point4PercentAndK3Is54point0() {
        TokensByRole imageOnly = TokensByRole.prompt(0, 576, 0);
        assertEquals(0.524, ratio(new FastVPruning(2, 0.5), imageOnly), 0.0005);
        assertEquals(0.540, ratio(new FastVPruning(3, 0.5), imageOnly), 0.0005);
    }

    @Test
    void countingThe640TokenPromptInFullComesCloserToTheReadmes57Percent() {
        // README: "FLOPs = 57%" for K = 3, R = 50%. Image-only gives 54.0%, the whole 640-token prompt 58.5%
        // (docs/methods.md §2.1); this is why FASTV counts all tokens.
        double allTokens = ratio(new FastVPruning(3, 0.5), TokensByRole.prompt(35, 576, 29));
        assertEquals(0.585, allTokens, 0.0005);
    }
}
