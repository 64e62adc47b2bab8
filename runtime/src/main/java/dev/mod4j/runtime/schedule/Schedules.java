package dev.mod4j.runtime.schedule;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.config.LlamaConfig;
import dev.mod4j.loaders.layout.ModelFiles;
import dev.mod4j.runtime.accounting.GammaModLayerMode;
import dev.mod4j.runtime.accounting.ProgressiveRatioDecay;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.IntStream;

/**
 * Makes {@link TokenSchedule}s from {@link ScheduleSpec}s for a given model, with each method's defaults (the released
 * code's, or the checkpoint's own config fields where it has them) and the checkpoint's router weights.
 */
public final class Schedules {
    private Schedules() {
    }

    public static TokenSchedule create(String spec, ModelFiles files) {
        return create(ScheduleSpec.parse(spec), files);
    }

    public static TokenSchedule create(ScheduleSpec spec, ModelFiles files) {
        LlamaConfig config = files.config().text();
        int layers = config.numHiddenLayers();
        return switch (spec.method()) {
            case "dense" -> new DenseSchedule();
            case "fastv" -> {
                int k = spec.intValue("k", Math.min(2, layers - 1), 1, layers - 1);
                double r = spec.doubleValue("r", 0.5, 0, 0.999999, true);
                yield new FastVSchedule(k, r);
            }
            case "pdrop" -> pyramidDrop(spec, layers);
            case "gmod" -> gammaMod(spec, files, layers);
            case "pmod" -> pMod(spec, files, layers);
            default -> throw new InvalidInputException("--schedule", "unknown method '" + spec.method() + "'");
        };
    }

    private static TokenSchedule pyramidDrop(ScheduleSpec spec, int layers) {
        // The released default 8,16,24 for 32 layers, i.e. after each quarter; scaled to other depths.
        int[] quarters = java.util.stream.IntStream.of(layers / 4, layers / 2, 3 * layers / 4)
                .filter(l -> l >= 1 && l <= layers - 1).distinct().toArray();
        int[] list = spec.intList("layers", quarters, 1, layers - 1);
        double[] defaultRatios = java.util.Arrays.copyOf(new double[]{0.5, 0.25, 0.125}, list.length);
        for (int i = 3; i < defaultRatios.length; i++) {
            defaultRatios[i] = defaultRatios[i - 1] / 2;
        }
        double[] ratios = spec.doubleList("ratios", defaultRatios);
        if (list.length != ratios.length) {
            throw spec.bad("ratios", String.valueOf(ratios.length) + " values", "must match the " + list.length
                    + " layers");
        }
        for (int i = 0; i < list.length; i++) {
            if (i > 0 && list[i] <= list[i - 1]) {
                throw spec.bad("layers", java.util.Arrays.toString(list), "must be strictly ascending");
            }
            if (!(ratios[i] > 0 && ratios[i] <= 1) || i > 0 && ratios[i] > ratios[i - 1]) {
                throw spec.bad("ratios", java.util.Arrays.toString(ratios), "must be in (0, 1] and non-increasing");
            }
        }
        return new PyramidDropSchedule(list, ratios);
    }

    private static TokenSchedule gammaMod(ScheduleSpec spec, ModelFiles files, int layers) {
        GammaModRouter router = GammaModRouter.load(files);
        int[] defaultLayers = defaultGammaModLayers(files, router, layers);
        int[] modLayers = spec.intList("layers", defaultLayers, 0, layers - 1);
        Double skip = spec.has("skip") ? spec.doubleValue("skip", 0, 0, 1, true) : null;
        double threshold = spec.doubleValue("threshold", GammaModSchedule.PREFILL_THRESHOLD, 0, 0.999999, true);
        double decodeThreshold = spec.doubleValue("decode_threshold", GammaModSchedule.DECODE_THRESHOLD, 0, 1, true);
        Set<Integer> set = new TreeSet<>();
        for (int l : modLayers) {
            set.add(l);
        }
        return new GammaModSchedule(set, GammaModSchedule.router(router), skip, threshold, decodeThreshold);
    }

    /** The checkpoint's mod.mod_layers_idx, else the layers carrying a router copy, else arank_mod (§3.2). */
    static int[] defaultGammaModLayers(ModelFiles files, GammaModRouter router, int layers) {
        JsonNode mod = files.config().extraFields().get("mod");
        if (mod != null && mod.get("mod_layers_idx") != null && mod.get("mod_layers_idx").isArray()
                && !mod.get("mod_layers_idx").isEmpty()) {
            JsonNode idx = mod.get("mod_layers_idx");
            return IntStream.range(0, idx.size()).map(i -> idx.get(i).asInt()).filter(l -> l >= 0 && l < layers).toArray();
        }
        if (router.layersWithRouter().size() > 1) {
            return router.layersWithRouter().stream().mapToInt(Integer::intValue).toArray();
        }
        String mode = mod != null && mod.get("mod_mode") != null && mod.get("mod_mode").isTextual()
                ? mod.get("mod_mode").asText() : GammaModLayerMode.ARANK_MOD.configName();
        return GammaModLayerMode.fromConfigName(mode).modLayers(layers);
    }

    private static TokenSchedule pMod(ScheduleSpec spec, ModelFiles files, int layers) {
        PModRouters routers = PModRouters.load(files);
        Map<String, JsonNode> extra = files.config().extraFields();
        // Defaults from the checkpoint's config (mod_target_layers "shiftedcos_decay_0.85_0.15", mod_router_factor).
        String target = extra.containsKey("mod_target_layers") ? extra.get("mod_target_layers").asText()
                : ProgressiveRatioDecay.RELEASED_TARGET_LAYERS;
        double configMean = extra.containsKey("mod_router_factor") ? extra.get("mod_router_factor").asDouble()
                : ProgressiveRatioDecay.RELEASED_ROUTER_FACTOR;
        ProgressiveRatioDecay fromConfig = ProgressiveRatioDecay.parse(target, configMean, layers);
        double rmax = spec.doubleValue("rmax", fromConfig.maxRatio(), 0, 1, false);
        double rmin = spec.doubleValue("rmin", fromConfig.minRatio(), 0, 1, true);
        double mean = spec.doubleValue("mean", fromConfig.meanRatio(), 0, 1, false);
        String decay = spec.stringValue("decay", fromConfig.curve().configName());
        ProgressiveRatioDecay.Curve curve = java.util.Arrays.stream(ProgressiveRatioDecay.Curve.values())
                .filter(c -> c.configName().equals(decay)).findFirst()
                .orElseThrow(() -> spec.bad("decay", decay, "must be shiftedcos or shiftedlinear"));
        if (rmin > rmax) {
            throw spec.bad("rmin", String.valueOf(rmin), "must not exceed rmax=" + rmax);
        }
        // The released code divides by 31 for its 32 layers: L-1 in general (methods.md §4.11, pitfall 1).
        ProgressiveRatioDecay decayCurve = new ProgressiveRatioDecay(curve, layers, rmax, rmin, mean);
        double[] norm = tanhNorm(extra);
        double alpha = spec.doubleValue("alpha", norm[0], 0, 10, true);
        double beta = spec.doubleValue("beta", norm[1], -10, 10, true);
        Map<Integer, Double> retention = new LinkedHashMap<>();
        for (int l : decayCurve.modLayers()) {
            if (routers.weights().containsKey(l)) {
                retention.put(l, decayCurve.effectiveRatio(l));
            }
        }
        return new PModSchedule(routers, retention, alpha, beta, "pmod:decay=" + decay + ";rmax=" + rmax + ";rmin="
                + rmin + ";mean=" + mean);
    }

    /** mod_weight_norm "tanh_0.2_1" → {0.2, 1}. */
    private static double[] tanhNorm(Map<String, JsonNode> extra) {
        String norm = extra.containsKey("mod_weight_norm") ? extra.get("mod_weight_norm").asText() : "tanh_0.2_1";
        String[] p = norm.split("_");
        try {
            if (p.length == 3 && p[0].equals("tanh")) {
                return new double[]{Double.parseDouble(p[1]), Double.parseDouble(p[2])};
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new InvalidInputException("config.json: mod_weight_norm", "'" + norm + "' is not supported; mod4j runs"
                + " p-MoD's released TanhNorm, written tanh_<scale>_<offset> (e.g. tanh_0.2_1)");
    }
}
