package dev.mod4j.runtime.schedule;

import dev.mod4j.loaders.config.PModConfig;
import dev.mod4j.runtime.accounting.ProgressiveRatioDecay;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * p-MoD (docs/methods.md §4): in each MoD layer only vision tokens are routed. The layer's own router scores each image
 * token on the raw residual stream; TanhNorm turns the logit r into a weight {@code w = α·tanh(r) + β}
 * (α = 0.2, β = 1); the top trunc(N_v · R_l) image tokens by w are processed together with all text, keeping their
 * original positions; STRing scales a kept image token's MLP output by w and a skipped image token's whole state by w.
 * R_l follows the progressive ratio decay. Decode steps (text only) run every layer densely.
 */
public final class PModSchedule implements TokenSchedule {
    private final PModRouters routers;
    private final Map<Integer, Double> retention;
    private final double alpha;
    private final double beta;
    private final ScheduleSpec spec;

    /**
     * @param retention MoD layer → fraction of image tokens it processes (layers absent here are dense)
     * @param spec      the spec this schedule was made from (for schedules made by hand, e.g. {@code pmod})
     */
    public PModSchedule(PModRouters routers, Map<Integer, Double> retention, double alpha, double beta, String spec) {
        this(routers, retention, alpha, beta, ScheduleSpec.parse(spec));
    }

    private PModSchedule(PModRouters routers, Map<Integer, Double> retention, double alpha, double beta,
                         ScheduleSpec spec) {
        this.routers = routers;
        this.retention = Map.copyOf(retention);
        this.alpha = alpha;
        this.beta = beta;
        this.spec = spec;
    }

    @Override
    public String spec() {
        return spec.toString();
    }

    @Override
    public LayerPlan plan(int layer, ScheduleContext context) {
        Double ratio = retention.get(layer);
        if (ratio == null || context.phase() != Phase.PREFILL || !routers.weights().containsKey(layer)) {
            return LayerPlan.DENSE;
        }
        int rows = context.rows();
        int[] images = Rows.image(context);
        if (images.length == 0) {
            return LayerPlan.DENSE;
        }
        float[] weightOfRow = new float[rows];
        Arrays.fill(weightOfRow, 1f);
        float[] logits = routers.logits(layer, images, context);
        for (int i = 0; i < images.length; i++) {
            float r = logits[i];
            weightOfRow[images[i]] = (float) (alpha * Math.tanh(r) + beta);
        }
        int keep = (int) (images.length * ratio);
        int[] kept = Rows.keepTop(context, images, weightOfRow, keep);
        boolean[] processed = new boolean[rows];
        for (int r : kept) {
            processed[r] = true;
        }
        int[] processedRows = kept;
        float[] gate = new float[processedRows.length];
        for (int i = 0; i < processedRows.length; i++) {
            gate[i] = weightOfRow[processedRows[i]];
        }
        float[] skippedScale = new float[rows];
        for (int r = 0; r < rows; r++) {
            skippedScale[r] = processed[r] ? 1f : weightOfRow[r];
        }
        return new LayerPlan(processedRows.length == rows ? null : processedRows, gate, PositionRule.ORIGINAL,
                skippedScale, weightOfRow);
    }

    /** {@code pmod:decay=shiftedcos;rmax=0.85;rmin=0.15;mean=0.5}. */
    public static final class Method implements ScheduleMethod {
        @Override
        public String name() {
            return "pmod";
        }

        @Override
        public String summary() {
            return "MoD layers process the image tokens their router weighs highest, fewer with depth (p-MoD; needs"
                    + " its router tensors)";
        }

        @Override
        public List<ScheduleKey> keys() {
            return List.of(ScheduleKey.of("decay", "the ratio's decay curve", "shiftedcos or shiftedlinear",
                            "the checkpoint's mod_target_layers, else shiftedcos"),
                    ScheduleKey.of("rmax", "layers whose decayed ratio is <= rmax are MoD", "(0, 1]",
                            "the checkpoint's, else 0.85"),
                    ScheduleKey.of("rmin", "lowest ratio", "[0, 1]", "the checkpoint's, else 0.15"),
                    ScheduleKey.of("mean", "mean ratio of the decay curve (mod_router_factor)", "(0, 1]",
                            "the checkpoint's, else 0.5"),
                    ScheduleKey.optional("alpha", "TanhNorm scale", "[0, 10]", "the checkpoint's, else 0.2"),
                    ScheduleKey.optional("beta", "TanhNorm offset", "[-10, 10]", "the checkpoint's, else 1"));
        }

        /**
         * p-MoD's anyres path routes the image rows its {@code mod_target_token_type} names: {@code vision_all} (the
         * released LLaVA-NeXT setting, scripts/train/finetune_eval_7b_pmod_llava_next.sh) routes the base view and
         * the high-resolution rows with their newlines, which is what this schedule ranks (every image row);
         * {@code vision_hr} (the getattr default in its llava_arch.py, MCG-NJU/p-MoD 459f6df) would keep the base
         * view dense, which is not implemented: refused by name.
         */
        private static void requireVisionAllOnAnyres(dev.mod4j.loaders.config.ModelConfig config) {
            boolean anyres = config.multimodal() != null && "anyres".equals(config.multimodal().imageAspectRatio());
            var type = config.extraFields().get("mod_target_token_type");
            String target = type == null || type.isNull() ? "vision_hr" : type.asText();
            if (anyres && !target.equals("vision_all")) {
                throw new dev.mod4j.loaders.config.ConfigException(config.file() + ": mod_target_token_type", "'"
                        + target + "'" + (type == null ? " (p-MoD's default when absent)" : "") + " on an anyres"
                        + " model routes only the high-resolution rows; mod4j implements vision_all (p-MoD-LLaVA-NeXT's"
                        + " setting)");
            }
        }

        @Override
        public TokenSchedule create(ScheduleArguments arguments) {
            int layers = arguments.layers();
            PModRouters routers = PModRouters.load(arguments.files());
            // Defaults from the checkpoint's config (mod_target_layers "shiftedcos_decay_0.85_0.15", mod_router_factor).
            PModConfig config = PModConfig.read(arguments.files().config());
            requireVisionAllOnAnyres(arguments.files().config());
            double rmax = arguments.doubleValue("rmax", config.maxRatio(), 0, 1, false);
            double rmin = arguments.doubleValue("rmin", config.minRatio(), 0, 1, true);
            double mean = arguments.doubleValue("mean", config.routerFactor(), 0, 1, false);
            String decay = arguments.choice("decay", config.decayType(),
                    Arrays.stream(ProgressiveRatioDecay.Curve.values()).map(ProgressiveRatioDecay.Curve::configName)
                            .toList());
            ProgressiveRatioDecay.Curve curve = Arrays.stream(ProgressiveRatioDecay.Curve.values())
                    .filter(c -> c.configName().equals(decay)).findFirst().orElseThrow();
            if (rmin > rmax) {
                throw arguments.bad("rmin", String.valueOf(rmin), "must not exceed rmax=" + rmax);
            }
            // The released code divides by 31 for its 32 layers: L-1 in general (docs/methods.md §4.11, pitfall 1).
            ProgressiveRatioDecay decayCurve = new ProgressiveRatioDecay(curve, layers, rmax, rmin, mean);
            double alpha = arguments.doubleValue("alpha", config.tanhScale(), 0, 10, true);
            double beta = arguments.doubleValue("beta", config.tanhOffset(), -10, 10, true);
            Map<Integer, Double> retention = new LinkedHashMap<>();
            for (int l : decayCurve.modLayers()) {
                if (routers.weights().containsKey(l)) {
                    retention.put(l, decayCurve.effectiveRatio(l));
                }
            }
            return new PModSchedule(routers, retention, alpha, beta, arguments.canonical());
        }
    }
}
