package dev.mod4j.runtime.accounting;

import org.junit.jupiter.api.Test;

import java.util.function.IntPredicate;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** γ-MoD's convention (cal_flops.py) against the published TFLOPs, docs/methods.md §2.1. */
class GammaModFlopsTest {
    /** LLaVA-HR's average sequence of 1400: ~35 prompt tokens, the 1024 image tokens, the rest text. */
    static final TokensByRole LLAVA_HR_PROMPT = TokensByRole.prompt(35, 1024, 341);
    /** LLaVA-1.5's average of 800 used by the γ-MoD paper: 35 + 576 image + text. */
    static final TokensByRole LLAVA_15_PROMPT = TokensByRole.prompt(35, 576, 189);

    /**
     * A prefill in which each MoD layer processes {@code trunc(N·(1−s))} tokens, as cal_flops.py computes
     * {@code int(SEQ_LEN * (1 - R_MOD))}; the skipped tokens are taken from the image (which ones does not
     * change the count).
     */
    static FlopsReport gammaMod(ModelShape shape, TokensByRole prompt, IntPredicate isModLayer, double skipRatio) {
        int n = prompt.total();
        int routed = (int) (n * (1 - skipRatio));
        TokensByRole modLayerTokens = prompt.withImage(prompt.image() - (n - routed));
        ForwardPass pass = ForwardPass.prefill(shape.layers(), prompt,
                layer -> isModLayer.test(layer) ? modLayerTokens : prompt, 1);
        return FlopsReport.of(FlopsConvention.GAMMA_MOD, shape, pass);
    }

    static FlopsReport arankMod(ModelShape shape, TokensByRole prompt, double skipRatio) {
        return gammaMod(shape, prompt, layer -> GammaModLayerMode.ARANK_MOD.isModLayer(layer, shape.layers()),
                skipRatio);
    }

    @Test
    void llavaHr7bDenseIs19point16TeraFlops() {
        FlopsReport report = arankMod(ModelShape.VICUNA_7B, LLAVA_HR_PROMPT, 0.379);
        assertEquals(19.16, report.denseTotalTera(), 0.005);
        assertEquals(FlopsConvention.Unit.FLOPS, report.convention().unit());
    }

    @Test
    void llavaHr7bGammaMod03And05Are12point59And9point26() {
        assertEquals(869, (int) (1400 * (1 - 0.379)));
        assertEquals(592, (int) (1400 * (1 - 0.577)));
        assertEquals(12.59, arankMod(ModelShape.VICUNA_7B, LLAVA_HR_PROMPT, 0.379).totalTera(), 0.005);
        assertEquals(9.26, arankMod(ModelShape.VICUNA_7B, LLAVA_HR_PROMPT, 0.577).totalTera(), 0.005);
    }

    @Test
    void llavaHr13bDenseAndGammaModMatchThePaper() {
        FlopsReport mod034 = arankMod(ModelShape.VICUNA_13B, LLAVA_HR_PROMPT, 0.349);
        assertEquals(37.13, mod034.denseTotalTera(), 0.005);
        assertEquals(25.13, mod034.totalTera(), 0.005);
        assertEquals(18.35, arankMod(ModelShape.VICUNA_13B, LLAVA_HR_PROMPT, 0.551).totalTera(), 0.005);
    }

    @Test
    void llava15With800TokensMatchesThePaper() {
        FlopsReport mod03 = arankMod(ModelShape.VICUNA_7B, LLAVA_15_PROMPT, 0.310);
        assertEquals(10.70, mod03.denseTotalTera(), 0.005);
        assertEquals(7.73, mod03.totalTera(), 0.005);
        assertEquals(5.34, arankMod(ModelShape.VICUNA_7B, LLAVA_15_PROMPT, 0.564).totalTera(), 0.005);
    }

    @Test
    void calFlopsOwnThreeDensePlus29ModGives12point36NotThePapers12point6() {
        // cal_flops.py hard-codes N_DENSE=3, N_MOD=29 (layers 3..31); the paper's 12.6 needs arank_mod's 4 + 28.
        FlopsReport report = gammaMod(ModelShape.VICUNA_7B, LLAVA_HR_PROMPT, layer -> layer >= 3, 0.379);
        assertEquals(12.36, report.totalTera(), 0.005);
    }
}
