package dev.mod4j.runtime.accounting;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** PyramidDrop's vision-only MAC convention against its published numbers, docs/methods.md §2.1. */
class PyramidDropFlopsTest {

    static FlopsReport pdrop(TokensByRole prompt) {
        ForwardPass pass = ForwardPass.prefill(32, prompt, PyramidDropStages.DEFAULT.budget(), 1);
        return FlopsReport.of(FlopsConvention.PDROP, ModelShape.VICUNA_7B, pass);
    }

    @Test
    void llava15VanillaIs3point817AndPyramidDropIs1point777TeraMacs() {
        FlopsReport report = pdrop(TokensByRole.prompt(35, 576, 40));
        assertEquals(3.817, report.denseTotalTera(), 0.0005);
        assertEquals(1.777, report.totalTera(), 0.0005);
        assertEquals(FlopsConvention.Unit.MACS, report.convention().unit());
    }

    @Test
    void textTokensCostNothingInThisConvention() {
        assertEquals(pdrop(TokensByRole.prompt(0, 576, 0)).total(), pdrop(TokensByRole.prompt(35, 576, 400)).total());
    }

    @Test
    void llavaNext2880TokensDropsTo45point4Percent() {
        FlopsReport report = pdrop(TokensByRole.prompt(35, 2880, 40));
        assertEquals(20.8, report.denseTotalTera(), 0.05);
        assertEquals(9.46, report.totalTera(), 0.005);
        assertEquals(0.454, report.ratioToDense(), 0.0005);
    }
}
