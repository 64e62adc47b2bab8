package dev.mod4j.runtime.schedule;

import dev.mod4j.loaders.config.ConfigException;
import dev.mod4j.loaders.config.GammaModConfig;
import dev.mod4j.loaders.layout.ModelFiles;
import dev.mod4j.runtime.accounting.GammaModLayerMode;
import dev.mod4j.runtime.prompt.TokenRole;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.IntStream;

/**
 * γ-MoD at inference (docs/methods.md §3.5): in each MoD layer the shared router gives every token a processing
 * probability p. Prefill processes the tokens with p > 0.005 (a threshold, not top-k; any token may be skipped),
 * decode skips a token whose p < 0.5 (and then the layer's cache is not extended). Processed tokens attend only to
 * each other, with positions renumbered compactly per layer, and their MLP output is scaled by p. Skipped tokens pass
 * through unchanged.
 *
 * <p>With {@code skip = s} (for controlled comparisons), prefill instead skips the floor(s · P) lowest-p tokens of the
 * system + image prefix P and always processes the text after the image — the masked routing of training (§3.4).
 */
public final class GammaModSchedule implements TokenSchedule {
    /** Where p comes from; the router by default, a fixed value in invariance tests. */
    @FunctionalInterface
    public interface ProcessProbability {
        float[] of(int layer, ScheduleContext context);
    }

    public static final double PREFILL_THRESHOLD = 0.005;
    public static final double DECODE_THRESHOLD = 0.5;

    private final Set<Integer> modLayers;
    private final ProcessProbability probability;
    private final Double skipRatio;
    private final double prefillThreshold;
    private final double decodeThreshold;
    private final ScheduleSpec spec;

    public GammaModSchedule(Set<Integer> modLayers, ProcessProbability probability, Double skipRatio,
                            double prefillThreshold, double decodeThreshold) {
        this(modLayers, probability, skipRatio, prefillThreshold, decodeThreshold,
                spec(modLayers, skipRatio, prefillThreshold, decodeThreshold));
    }

    private GammaModSchedule(Set<Integer> modLayers, ProcessProbability probability, Double skipRatio,
                             double prefillThreshold, double decodeThreshold, ScheduleSpec spec) {
        this.spec = spec;
        this.modLayers = new TreeSet<>(modLayers);
        this.probability = probability;
        this.skipRatio = skipRatio;
        this.prefillThreshold = prefillThreshold;
        this.decodeThreshold = decodeThreshold;
    }

    /** The probabilities of the checkpoint's shared router on each layer's {@code input_layernorm(x)}. */
    public static ProcessProbability router(GammaModRouter router) {
        return router::processProbabilities;
    }

    @Override
    public String spec() {
        return spec.toString();
    }

    private static ScheduleSpec spec(Set<Integer> modLayers, Double skipRatio, double prefillThreshold,
                                     double decodeThreshold) {
        ScheduleSpec s = ScheduleSpec.of("gmod").with("layers",
                new TreeSet<>(modLayers).stream().mapToInt(Integer::intValue).toArray());
        if (skipRatio != null) {
            s = s.with("skip", skipRatio);
        }
        if (prefillThreshold != PREFILL_THRESHOLD) {
            s = s.with("threshold", prefillThreshold);
        }
        return decodeThreshold != DECODE_THRESHOLD ? s.with("decode_threshold", decodeThreshold) : s;
    }

    @Override
    public LayerPlan plan(int layer, ScheduleContext context) {
        if (!modLayers.contains(layer)) {
            return LayerPlan.DENSE;
        }
        float[] p = probability.of(layer, context);
        int rows = context.rows();
        int[] processed;
        if (context.phase() == Phase.DECODE) {
            processed = IntStream.range(0, rows).filter(r -> p[r] >= decodeThreshold).toArray();
        } else if (skipRatio == null) {
            processed = IntStream.range(0, rows).filter(r -> p[r] > prefillThreshold).toArray();
        } else {
            processed = keepAllButLowestPrefix(context, p, skipRatio);
        }
        float[] gate = new float[processed.length];
        for (int i = 0; i < processed.length; i++) {
            gate[i] = p[processed[i]];
        }
        return new LayerPlan(processed.length == rows ? null : processed, gate, PositionRule.CACHE_INDEX, null, p);
    }

    private static int[] keepAllButLowestPrefix(ScheduleContext context, float[] p, double skip) {
        int[] prefix = IntStream.range(0, context.rows())
                .filter(r -> context.role(r) == TokenRole.SYSTEM || context.role(r) == TokenRole.IMAGE).toArray();
        int skipped = (int) Math.floor(skip * prefix.length);
        return Rows.keepTop(context, prefix, p, prefix.length - skipped);
    }

    /** {@code gmod:layers=3-30;skip=0.5;threshold=0.005;decode_threshold=0.5}. */
    public static final class Method implements ScheduleMethod {
        @Override
        public String name() {
            return "gmod";
        }

        @Override
        public String summary() {
            return "MoD layers skip the tokens their shared router gives a low probability (γ-MoD; needs its router"
                    + " tensors)";
        }

        @Override
        public List<ScheduleKey> keys() {
            return List.of(ScheduleKey.of("layers", "MoD layers, 0-based, list or ranges like 3-30", "0..L-1",
                            "the checkpoint's (mod.mod_layers_idx, else its router layers), else all but 0, 1, 2"
                                    + " and L-1"),
                    ScheduleKey.optional("skip", "fixed fraction of the system+image prefix skipped by top-k in"
                            + " prefill", "[0, 1]", "off (the released threshold rule)"),
                    ScheduleKey.optional("threshold", "prefill processes tokens with p > threshold", "[0, 1)",
                            String.valueOf(PREFILL_THRESHOLD)),
                    ScheduleKey.optional("decode_threshold", "decode skips a token with p < this", "[0, 1]",
                            String.valueOf(DECODE_THRESHOLD)));
        }

        @Override
        public TokenSchedule create(ScheduleArguments arguments) {
            int layers = arguments.layers();
            GammaModRouter router = GammaModRouter.load(arguments.files());
            int[] modLayers = arguments.intSet("layers", defaultLayers(arguments.files(), router, layers), 0,
                    layers - 1);
            Double skip = arguments.optionalDouble("skip", 0, 1, true);
            double threshold = arguments.doubleValue("threshold", PREFILL_THRESHOLD, 0, 0.999999, true);
            double decodeThreshold = arguments.doubleValue("decode_threshold", DECODE_THRESHOLD, 0, 1, true);
            Set<Integer> set = new TreeSet<>();
            for (int l : modLayers) {
                set.add(l);
            }
            return new GammaModSchedule(set, router(router), skip, threshold, decodeThreshold,
                    arguments.canonical());
        }

        /** A fixed skip ratio: the released threshold keeps every token of an untrained router, showing nothing. */
        @Override
        public String demoSpec() {
            return "gmod:skip=0.5";
        }

        /** The checkpoint's mod.mod_layers_idx, else the layers carrying a router copy, else arank_mod (§3.2). */
        static int[] defaultLayers(ModelFiles files, GammaModRouter router, int layers) {
            GammaModConfig mod = GammaModConfig.read(files.config());
            if (!mod.modLayersIdx().isEmpty()) {
                return mod.modLayersIdx().stream().mapToInt(Integer::intValue).toArray();
            }
            if (router.layersWithRouter().size() > 1) {
                return router.layersWithRouter().stream().mapToInt(Integer::intValue).toArray();
            }
            String mode = mod.modMode() != null ? mod.modMode() : GammaModLayerMode.ARANK_MOD.configName();
            try {
                return GammaModLayerMode.fromConfigName(mode).modLayers(layers);
            } catch (ConfigException e) {
                throw new ConfigException(files.config().file() + ": mod.mod_mode", e.getMessage()
                        .substring(e.source().length() + 2), e);
            }
        }
    }
}
