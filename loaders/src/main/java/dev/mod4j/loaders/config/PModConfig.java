package dev.mod4j.loaders.config;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * p-MoD's settings in a checkpoint's {@code config.json} (top-level fields of {@code pmod_llava_llama} models), with
 * the released values where a field is absent.
 *
 * @param decayType   the decay curve of {@code mod_target_layers}: {@code shiftedcos} or {@code shiftedlinear}
 * @param maxRatio    {@code R_max} of {@code mod_target_layers}: layers whose ratio exceeds it stay dense
 * @param minRatio    {@code R_min} of {@code mod_target_layers}: the floor of a MoD layer's ratio
 * @param routerFactor {@code mod_router_factor}, the mean ratio of the decay curve
 * @param tanhScale   α of {@code mod_weight_norm} {@code tanh_α_β}: a routed token's weight is α·tanh(r) + β
 * @param tanhOffset  β of {@code mod_weight_norm}
 */
public record PModConfig(String decayType, double maxRatio, double minRatio, double routerFactor, double tanhScale,
                         double tanhOffset) {

    /** {@code mod_target_layers} in both released p-MoD checkpoints. */
    public static final String RELEASED_TARGET_LAYERS = "shiftedcos_decay_0.85_0.15";
    /** The released {@code mod_router_factor}. */
    public static final double RELEASED_ROUTER_FACTOR = 0.5;
    /** The released {@code mod_weight_norm}. */
    public static final String RELEASED_WEIGHT_NORM = "tanh_0.2_1";

    // The upstream pattern "{type}_decay_{R_max}_{R_min}" (build_mod_layers), matched on the whole string.
    private static final Pattern TARGET_LAYERS = Pattern.compile("(\\w+)_decay_(\\d+\\.\\d+)_(\\d+\\.\\d+)");

    /** Reads the p-MoD fields of {@code config}. */
    public static PModConfig read(ModelConfig config) {
        ObjectNode fields = ModelConfig.JSON.createObjectNode();
        fields.setAll(config.extraFields());
        ConfigObject top = ConfigObject.of(config.file().toString(), "", fields);

        String target = top.string("mod_target_layers", RELEASED_TARGET_LAYERS);
        Matcher match = TARGET_LAYERS.matcher(target.trim());
        if (!match.matches()) {
            throw new ConfigException(top.where("mod_target_layers"), "expected"
                    + " '{shiftedcos|shiftedlinear}_decay_{R_max}_{R_min}' such as '" + RELEASED_TARGET_LAYERS
                    + "', found '" + target + "'");
        }
        String type = match.group(1).toLowerCase(Locale.ROOT);
        if (!type.equals("shiftedcos") && !type.equals("shiftedlinear")) {
            throw new ConfigException(top.where("mod_target_layers"), "unknown decay type '" + match.group(1)
                    + "', expected 'shiftedcos' or 'shiftedlinear'");
        }
        double maxRatio = Double.parseDouble(match.group(2));
        double minRatio = Double.parseDouble(match.group(3));
        if (!(minRatio <= maxRatio && maxRatio <= 1)) {
            throw new ConfigException(top.where("mod_target_layers"), "needs R_min ≤ R_max ≤ 1, found R_max="
                    + maxRatio + ", R_min=" + minRatio);
        }

        double factor = top.doubleValue("mod_router_factor", RELEASED_ROUTER_FACTOR);
        if (!(factor > 0 && factor <= 1)) {
            throw new ConfigException(top.where("mod_router_factor"), "must be in (0, 1], found " + factor);
        }

        String norm = top.string("mod_weight_norm", RELEASED_WEIGHT_NORM);
        String[] p = norm.split("_");
        try {
            if (p.length == 3 && p[0].equals("tanh")) {
                return new PModConfig(type, maxRatio, minRatio, factor, Double.parseDouble(p[1]),
                        Double.parseDouble(p[2]));
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ConfigException(top.where("mod_weight_norm"), "'" + norm + "' is not supported; mod4j runs"
                + " p-MoD's released TanhNorm, written tanh_<scale>_<offset> (e.g. " + RELEASED_WEIGHT_NORM + ")");
    }
}
