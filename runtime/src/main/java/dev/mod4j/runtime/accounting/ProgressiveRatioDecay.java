package dev.mod4j.runtime.accounting;

import dev.mod4j.loaders.config.ConfigException;
import dev.mod4j.loaders.config.PModConfig;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

/**
 * p-MoD's progressive ratio decay (PRD, docs/methods.md §4.6): the fraction of vision tokens layer {@code l} keeps,
 * decaying with depth. {@code R_l = ½·cos(π·l/(L−1)) + R̄} (shifted cosine) or {@code R_l = (½ − l/(L−1)) + R̄}
 * (shifted linear), with {@code R̄} = {@code mod_router_factor}. A layer is a MoD layer iff {@code R_l ≤ R_max};
 * it then keeps {@code trunc(N_v·max(R_l, R_min))} vision tokens, and a dense layer keeps all of them.
 *
 * <p>The released code divides by a hard-coded 31, which is {@code L−1} only for 32 layers (docs/methods.md §4.11,
 * pitfall 1). We divide by {@code L−1}: identical for the released 32-layer models, and the decay still ends at
 * the last layer for other depths.
 *
 * @param curve       the decay's shape ({@code shiftedcos} or {@code shiftedlinear})
 * @param numLayers   {@code L}
 * @param maxRatio    {@code R_max}: layers whose raw ratio exceeds it stay dense (0.85 released)
 * @param minRatio    {@code R_min}: the floor of a MoD layer's ratio (0.15 released)
 * @param meanRatio   {@code R̄} = {@code mod_router_factor} (0.5 released), the mean of the unclamped curve
 */
public record ProgressiveRatioDecay(Curve curve, int numLayers, double maxRatio, double minRatio,
                                    double meanRatio) {

    /** The value of {@code mod_target_layers} in both released p-MoD checkpoints (docs/methods.md §4.8). */
    public static final String RELEASED_TARGET_LAYERS = PModConfig.RELEASED_TARGET_LAYERS;

    /** The released {@code mod_router_factor}. */
    public static final double RELEASED_ROUTER_FACTOR = PModConfig.RELEASED_ROUTER_FACTOR;

    // The upstream pattern "{type}_decay_{R_max}_{R_min}" (build_mod_layers), matched on the whole string.
    private static final Pattern DECAY_CONFIG = Pattern.compile("(\\w+)_decay_(\\d+\\.\\d+)_(\\d+\\.\\d+)");

    /** The decay curve, named as in {@code mod_target_layers}. */
    public enum Curve {
        SHIFTED_COSINE("shiftedcos"),
        SHIFTED_LINEAR("shiftedlinear");

        private final String configName;

        Curve(String configName) {
            this.configName = configName;
        }

        public String configName() {
            return configName;
        }

        /** {@code R_l} before clamping. Operations in upstream order, so truncated counts match bit for bit. */
        double rawRatio(int layer, int numLayers, double meanRatio) {
            return switch (this) {
                case SHIFTED_COSINE -> Math.cos(layer * Math.PI / (numLayers - 1)) / 2 + meanRatio;
                case SHIFTED_LINEAR -> (-(double) layer / (numLayers - 1) + 0.5) + meanRatio;
            };
        }
    }

    public ProgressiveRatioDecay {
        if (numLayers < 2) {
            throw new IllegalArgumentException("PRD needs at least 2 layers (it divides by L−1), found " + numLayers);
        }
        if (!(minRatio >= 0 && minRatio <= maxRatio && maxRatio <= 1)) {
            throw new IllegalArgumentException("PRD ratios must satisfy 0 ≤ R_min ≤ R_max ≤ 1, found R_min="
                    + minRatio + ", R_max=" + maxRatio);
        }
    }

    /** The released p-MoD schedule for a model of {@code numLayers} layers. */
    public static ProgressiveRatioDecay released(int numLayers) {
        return parse(RELEASED_TARGET_LAYERS, RELEASED_ROUTER_FACTOR, numLayers);
    }

    /**
     * Reads {@code mod_target_layers} (e.g. {@code shiftedcos_decay_0.85_0.15}) and {@code mod_router_factor}.
     * The legacy constant-ratio modes ({@code deep_all}, {@code interleave}, ...) are not a decay and are refused.
     */
    public static ProgressiveRatioDecay parse(String modTargetLayers, double modRouterFactor, int numLayers) {
        Matcher match = DECAY_CONFIG.matcher(modTargetLayers.trim());
        if (!match.matches()) {
            throw new ConfigException("mod_target_layers", "expected '{shiftedcos|shiftedlinear}_decay_{R_max}_{R_min}'"
                    + " such as '" + RELEASED_TARGET_LAYERS + "', found '" + modTargetLayers + "'");
        }
        String type = match.group(1).toLowerCase(Locale.ROOT);
        Curve curve = null;
        for (Curve candidate : Curve.values()) {
            if (candidate.configName.equals(type)) {
                curve = candidate;
            }
        }
        if (curve == null) {
            throw new ConfigException("mod_target_layers", "unknown decay type '" + match.group(1)
                    + "', expected 'shiftedcos' or 'shiftedlinear'");
        }
        double maxRatio = Double.parseDouble(match.group(2));
        double minRatio = Double.parseDouble(match.group(3));
        if (!(minRatio <= maxRatio && maxRatio <= 1)) {
            throw new ConfigException("mod_target_layers", "needs R_min ≤ R_max ≤ 1, found R_max=" + maxRatio
                    + ", R_min=" + minRatio);
        }
        return new ProgressiveRatioDecay(curve, numLayers, maxRatio, minRatio, modRouterFactor);
    }

    /** {@code R_l} before clamping. */
    public double rawRatio(int layer) {
        checkLayer(layer);
        return curve.rawRatio(layer, numLayers, meanRatio);
    }

    /** Whether {@code layer} routes its vision tokens ({@code R_l ≤ R_max}). */
    public boolean isModLayer(int layer) {
        return rawRatio(layer) <= maxRatio;
    }

    /** The MoD layers in increasing order ({@code mod_target_layer_indices}; 8..31 for the released 32 layers). */
    public int[] modLayers() {
        return IntStream.range(0, numLayers).filter(this::isModLayer).toArray();
    }

    /** The fraction of vision tokens {@code layer} processes: 1 for a dense layer, else {@code max(R_l, R_min)}. */
    public double effectiveRatio(int layer) {
        double raw = rawRatio(layer);
        return raw <= maxRatio ? Math.max(raw, minRatio) : 1.0;
    }

    /** Vision tokens {@code layer} keeps of {@code visionTokens}: {@code trunc(N_v·ratio)} (docs/methods.md §4.5). */
    public int keptImageTokens(int layer, int visionTokens) {
        if (visionTokens < 0) {
            throw new IllegalArgumentException("vision token count must be non-negative, found " + visionTokens);
        }
        return (int) (visionTokens * effectiveRatio(layer));
    }

    /** The mean of {@link #effectiveRatio} over all layers (0.5375 released), p-MoD's vision KV-cache share. */
    public double meanEffectiveRatio() {
        double sum = 0;
        for (int layer = 0; layer < numLayers; layer++) {
            sum += effectiveRatio(layer);
        }
        return sum / numLayers;
    }

    /** This schedule as a per-layer image-token budget. */
    public ImageTokenBudget budget() {
        return this::keptImageTokens;
    }

    private void checkLayer(int layer) {
        if (layer < 0 || layer >= numLayers) {
            throw new IllegalArgumentException("layer " + layer + " is outside 0.." + (numLayers - 1));
        }
    }
}
