package dev.mod4j.runtime.accounting;

import dev.mod4j.loaders.config.ConfigException;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.IntStream;

/**
 * γ-MoD's named choices of MoD layers ({@code mod_mode}, resolved in {@code initialize_mod_modules};
 * docs/methods.md §3.2). The released checkpoints use {@link #ARANK_MOD}. {@code custom} (an explicit
 * {@code mod_layers_idx}) is a list, not a mode, and is not represented here.
 */
public enum GammaModLayerMode {
    /** Layers {@code 0 .. L/2−1}. */
    FIRST_HALF("first_half"),
    /** Layers {@code L/2 .. L−2} (the last layer stays dense). */
    SECOND_HALF("second_half"),
    /** The even layers {@code 0, 2, 4, ...}. */
    SPARSE("sparse"),
    /** Every layer is MoD: "dense" means MoD placed densely, not a dense model. */
    DENSE("dense"),
    /** Layers {@code 1 .. L−2}. */
    FIRST_LAST_DENSE("first_last_dense"),
    /** Layers {@code L/3+2 .. L−2} (integer division). */
    LAST_TWO_THIRDS("last_two_thirds"),
    /** Layers {@code 5 .. L−2}. */
    FIRST_FIVE_DENSE("first_five_dense"),
    /**
     * Every layer except {@code {0, 1, 2, L−1}}: 3..30 (28 of 32) for 7B, 3..38 (36 of 40) for 13B. The only
     * mode the training scripts use, and the one that reproduces every published TFLOPs figure (§2.1, §3.6).
     */
    ARANK_MOD("arank_mod");

    private final String configName;

    GammaModLayerMode(String configName) {
        this.configName = configName;
    }

    /** The {@code mod_mode} string. */
    public String configName() {
        return configName;
    }

    public static GammaModLayerMode fromConfigName(String modMode) {
        String name = modMode.trim().toLowerCase(Locale.ROOT);
        for (GammaModLayerMode mode : values()) {
            if (mode.configName.equals(name)) {
                return mode;
            }
        }
        throw new ConfigException("mod_mode", "unknown γ-MoD layer mode '" + modMode + "', expected one of "
                + Arrays.stream(values()).map(GammaModLayerMode::configName).toList());
    }

    /** The MoD layers of an {@code numLayers}-layer model, increasing. */
    public int[] modLayers(int numLayers) {
        if (numLayers <= 0) {
            throw new IllegalArgumentException("layer count must be positive, found " + numLayers);
        }
        int last = numLayers - 1;
        return switch (this) {
            case FIRST_HALF -> IntStream.range(0, numLayers / 2).toArray();
            case SECOND_HALF -> IntStream.range(numLayers / 2, last).toArray();
            case SPARSE -> IntStream.range(0, numLayers).filter(l -> l % 2 == 0).toArray();
            case DENSE -> IntStream.range(0, numLayers).toArray();
            case FIRST_LAST_DENSE -> IntStream.range(1, last).toArray();
            case LAST_TWO_THIRDS -> IntStream.range(numLayers / 3 + 2, last).toArray();
            case FIRST_FIVE_DENSE -> IntStream.range(5, last).toArray();
            case ARANK_MOD -> IntStream.range(0, numLayers).filter(l -> l > 2 && l != last).toArray();
        };
    }

    /** Whether {@code layer} is a MoD layer of an {@code numLayers}-layer model. */
    public boolean isModLayer(int layer, int numLayers) {
        return IntStream.of(modLayers(numLayers)).anyMatch(l -> l == layer);
    }
}
