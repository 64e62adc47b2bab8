package dev.mod4j.runtime.accounting;

import dev.mod4j.loaders.config.ConfigException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** PyramidDrop stages, FastV keep counts and γ-MoD layer sets (docs/methods.md §3.2, §5.2, §6). */
class TokenCountScheduleTest {

    @Test
    void pyramidDropKeepsHalfTheImageTokensAfterLayer8() {
        assertArrayEquals(new int[]{576, 288, 144, 72}, PyramidDropStages.DEFAULT.stageImageTokens(576));
        assertArrayEquals(new int[]{2880, 1440, 720, 360}, PyramidDropStages.DEFAULT.stageImageTokens(2880));
        // "After layer 8" (1-based) = 0-based layers 8.. are in stage 1.
        assertEquals(576, PyramidDropStages.DEFAULT.imageTokensAtLayer(7, 576));
        assertEquals(288, PyramidDropStages.DEFAULT.imageTokensAtLayer(8, 576));
        assertEquals(144, PyramidDropStages.DEFAULT.imageTokensAtLayer(16, 576));
        assertEquals(72, PyramidDropStages.DEFAULT.imageTokensAtLayer(31, 576));
    }

    @Test
    void pyramidDropTruncatesOddCounts() {
        // int(577 · 0.5) = 288, int(577 · 0.125) = 72.
        assertArrayEquals(new int[]{577, 288, 144, 72}, PyramidDropStages.DEFAULT.stageImageTokens(577));
    }

    @Test
    void pyramidDropRefusesALeadingOneInTheRatioList() {
        assertThrows(IllegalArgumentException.class,
                () -> new PyramidDropStages(List.of(8, 16, 24), List.of(1.0, 0.5, 0.25, 0.125)));
    }

    @Test
    void fastVKeepCountsForTheScriptsPruningRatios() {
        double[] pruned = {0.875, 0.75, 0.5, 0.25};
        int[] kept = {72, 144, 288, 432};
        for (int i = 0; i < pruned.length; i++) {
            assertEquals(kept[i], new FastVPruning(2, pruned[i]).keptImageTokens(576));
        }
        assertEquals(288, FastVPruning.DEFAULT.keptImageTokens(576));
    }

    @Test
    void fastVPrunesFromLayerKOn() {
        assertEquals(576, FastVPruning.DEFAULT.imageTokensAtLayer(1, 576));
        assertEquals(288, FastVPruning.DEFAULT.imageTokensAtLayer(2, 576));
    }

    @Test
    void fastVRoundsHalvesToEvenLikePython() {
        // round(5 · 0.5) = round(2.5) = 2 in Python; Math.round would give 3.
        assertEquals(2, new FastVPruning(2, 0.5).keptImageTokens(5));
        assertEquals(4, new FastVPruning(2, 0.5).keptImageTokens(7));
    }

    @Test
    void gammaModArankModLeavesLayers0To2AndTheLastDense() {
        assertArrayEquals(IntStream.rangeClosed(3, 30).toArray(), GammaModLayerMode.ARANK_MOD.modLayers(32));
        assertEquals(28, GammaModLayerMode.ARANK_MOD.modLayers(32).length);
        assertArrayEquals(IntStream.rangeClosed(3, 38).toArray(), GammaModLayerMode.ARANK_MOD.modLayers(40));
        assertEquals(36, GammaModLayerMode.ARANK_MOD.modLayers(40).length);
    }

    @Test
    void gammaModOtherModesForThirtyTwoLayers() {
        assertArrayEquals(IntStream.range(0, 16).toArray(), GammaModLayerMode.FIRST_HALF.modLayers(32));
        assertArrayEquals(IntStream.rangeClosed(16, 30).toArray(), GammaModLayerMode.SECOND_HALF.modLayers(32));
        assertArrayEquals(IntStream.range(0, 16).map(i -> 2 * i).toArray(), GammaModLayerMode.SPARSE.modLayers(32));
        assertArrayEquals(IntStream.range(0, 32).toArray(), GammaModLayerMode.DENSE.modLayers(32));
        assertArrayEquals(IntStream.rangeClosed(1, 30).toArray(), GammaModLayerMode.FIRST_LAST_DENSE.modLayers(32));
        assertArrayEquals(IntStream.rangeClosed(12, 30).toArray(), GammaModLayerMode.LAST_TWO_THIRDS.modLayers(32));
        assertArrayEquals(IntStream.rangeClosed(5, 30).toArray(), GammaModLayerMode.FIRST_FIVE_DENSE.modLayers(32));
    }

    @Test
    void gammaModModesAreReadByTheirConfigNames() {
        assertEquals(GammaModLayerMode.ARANK_MOD, GammaModLayerMode.fromConfigName("arank_mod"));
        assertEquals(GammaModLayerMode.LAST_TWO_THIRDS, GammaModLayerMode.fromConfigName("last_two_thirds"));
        assertThrows(ConfigException.class, () -> GammaModLayerMode.fromConfigName("custom"));
    }
}
