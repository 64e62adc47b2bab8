package dev.mod4j.runtime.accounting;

import dev.mod4j.loaders.config.ConfigException;
import org.junit.jupiter.api.Test;

import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** p-MoD's PRD against the table of docs/methods.md §4.6. */
class ProgressiveRatioDecayTest {
    static final ProgressiveRatioDecay RELEASED = ProgressiveRatioDecay.released(32);

    // Layers 0..31: 8 dense layers, 16 decaying MoD layers, 8 clamped at R_min = 0.15.
    static final int[] KEPT_OF_576 = {576, 576, 576, 576, 576, 576, 576, 576,
            486, 464, 440, 414, 388, 360, 331, 302, 273, 244, 215, 187, 161, 135, 111, 89,
            86, 86, 86, 86, 86, 86, 86, 86};
    static final int[] KEPT_OF_2880 = {2880, 2880, 2880, 2880, 2880, 2880, 2880, 2880,
            2432, 2321, 2201, 2074, 1940, 1800, 1658, 1512, 1367, 1221, 1079, 939, 805, 678, 558, 447,
            432, 432, 432, 432, 432, 432, 432, 432};

    @Test
    void releasedScheduleMakesLayers8To31ModLayers() {
        assertArrayEquals(IntStream.rangeClosed(8, 31).toArray(), RELEASED.modLayers());
        assertFalse(RELEASED.isModLayer(7));
        assertEquals(0.879, RELEASED.rawRatio(7), 0.0005);
        assertEquals(0.8445, RELEASED.rawRatio(8), 0.00005);
    }

    @Test
    void keptImageTokensMatchTheTableFor576And2880() {
        for (int layer = 0; layer < 32; layer++) {
            assertEquals(KEPT_OF_576[layer], RELEASED.keptImageTokens(layer, 576), "layer " + layer + " of 576");
            assertEquals(KEPT_OF_2880[layer], RELEASED.keptImageTokens(layer, 2880), "layer " + layer + " of 2880");
        }
    }

    @Test
    void meanEffectiveRatioIs0point5375() {
        assertEquals(0.5375, RELEASED.meanEffectiveRatio(), 0.00005);
    }

    @Test
    void deepLayersAreClampedToTheMinimumRatio() {
        assertEquals(0.1206, RELEASED.rawRatio(24), 0.00005);
        assertEquals(0.0, RELEASED.rawRatio(31), 1e-12);
        assertEquals(0.15, RELEASED.effectiveRatio(31));
        assertEquals(1.0, RELEASED.effectiveRatio(0));
    }

    @Test
    void theDecayIsSpreadOverLMinusOneForOtherDepths() {
        // Upstream divides by a hard-coded 31; we use L−1, so a 40-layer model decays over all 40 layers.
        ProgressiveRatioDecay forty = ProgressiveRatioDecay.released(40);
        assertArrayEquals(IntStream.rangeClosed(10, 39).toArray(), forty.modLayers());
        assertEquals(0.0, forty.rawRatio(39), 1e-12);
    }

    @Test
    void parsesTheShiftedLinearVariant() {
        ProgressiveRatioDecay linear = ProgressiveRatioDecay.parse("shiftedlinear_decay_0.85_0.15", 0.5, 32);
        assertEquals(ProgressiveRatioDecay.Curve.SHIFTED_LINEAR, linear.curve());
        assertEquals(1.0, linear.rawRatio(0), 1e-12);
        assertEquals(1 - 5 / 31.0, linear.rawRatio(5), 1e-12);
        assertArrayEquals(IntStream.rangeClosed(5, 31).toArray(), linear.modLayers());
        assertEquals(0.15, linear.effectiveRatio(31));
    }

    @Test
    void parsesTheReleasedConfigString() {
        ProgressiveRatioDecay parsed = ProgressiveRatioDecay.parse("shiftedcos_decay_0.85_0.15", 0.5, 32);
        assertEquals(new ProgressiveRatioDecay(ProgressiveRatioDecay.Curve.SHIFTED_COSINE, 32, 0.85, 0.15, 0.5),
                parsed);
    }

    @Test
    void refusesNonDecayModesAndUnknownCurves() {
        ConfigException legacy = assertThrows(ConfigException.class,
                () -> ProgressiveRatioDecay.parse("deep_all", 0.5, 32));
        assertTrue(legacy.getMessage().startsWith("mod_target_layers: "));
        assertThrows(ConfigException.class, () -> ProgressiveRatioDecay.parse("exp_decay_0.85_0.15", 0.5, 32));
        assertThrows(ConfigException.class, () -> ProgressiveRatioDecay.parse("shiftedcos_decay_0.1_0.5", 0.5, 32));
    }
}
