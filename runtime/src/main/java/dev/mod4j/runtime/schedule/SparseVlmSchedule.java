package dev.mod4j.runtime.schedule;

import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.runtime.prompt.TokenRole;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * SparseVLM, text-guided visual token sparsification (docs/methods.md §15; Zhang et al., ICML 2025; released code
 * Gumpest/SparseVLMs at 26a5f48 with {@code USE_VERSION} unset, the SparseVLM v1.5 rule, not SparseVLM+:
 * {@code llava/model/language_model/modelling_sparse_llama.py} {@code LlamaDynamicvitModel.forward},
 * {@code score.py} {@code attn_postprocess_topk}, {@code utils.py} {@code cluster_and_merge}). In prefill:
 *
 * <ol>
 *   <li>text raters, once, on the prompt as it enters the decoder: for the rows after the image, the softmax over
 *       them of each image row's dot products, averaged over the image rows; the rows above that average rate;</li>
 *   <li>at each pruning layer (0-based 2, 6, 15 for 32 layers) the layer runs on every row; each image row's score
 *       is the attention the raters pay it inside that layer (head mean, rater mean); the top
 *       {@code min(keep, N_v − 1)} image rows stay;</li>
 *   <li>recycling: of the pruned image rows, the ⌊0.3·n⌋ + 1 with the highest scores are clustered
 *       ({@link DensityPeakClusters}, ⌊m/10⌋ + 1 clusters) on the layer's output; each cluster's mean
 *       (sum / (count + 1e-6)) is a new image row placed after the kept ones; the other pruned rows are dropped.</li>
 * </ol>
 *
 * Positions are compact in every layer ({@code position_ids[:, :n']} in prefill; in decoding the attention layer
 * replaces the position by the layer's cache length): {@link PositionRule#CACHE_INDEX} everywhere. The pruning
 * layer itself caches every row. Merged rows carry their cluster centre's sequence index in traces.
 */
public final class SparseVlmSchedule implements TokenSchedule {
    /** score.py: image tokens kept at the three pruning layers for each {@code RETAIN_TOKN} (v1.5 values). */
    public static final Map<Integer, int[]> RETAINED = Map.of(192, new int[]{300, 200, 110},
            128, new int[]{303, 110, 36}, 96, new int[]{238, 48, 26}, 64, new int[]{66, 30, 17});
    /** modelling_sparse_llama.py: {@code pruning_loc=[2, 6, 15]} (LLaVA-1.5-7B/13B). */
    public static final int[] RELEASED_LAYERS = {2, 6, 15};

    private final int[] layers;
    private final int[] keep;
    private final ScheduleSpec spec;
    /** Rater offsets from the first row after the image; null: no image, nothing to do. */
    private int[] raterOffsets;
    private float[] relation;
    private int[] kept;

    /**
     * @param layers 0-based layers after which image rows are pruned, ascending
     * @param keep   image rows kept at each of them
     */
    public SparseVlmSchedule(int[] layers, int[] keep) {
        this(layers, keep, ScheduleSpec.of("sparsevlm").with("layers", layers).with("keep", keep));
    }

    private SparseVlmSchedule(int[] layers, int[] keep, ScheduleSpec spec) {
        this.layers = layers.clone();
        this.keep = keep.clone();
        this.spec = spec;
    }

    @Override
    public String spec() {
        return spec.toString();
    }

    @Override
    public int[] beforeDecoder(ScheduleContext context) {
        raterOffsets = null;
        int[] images = Rows.image(context);
        if (context.phase() != Phase.PREFILL || images.length == 0) {
            return null;
        }
        int textStart = textStart(context, images);
        int texts = context.rows() - textStart;
        if (texts == 0) {
            throw new InvalidInputException("schedule " + spec(), "rates image tokens by the prompt text after the"
                    + " image, but this prompt ends with the image");
        }
        int d = context.config().hiddenSize();
        float[] x = context.hidden();
        // m_v_t = (v_t @ t_t.T).softmax(2).mean(1); raters: m_v_t > m_v_t.mean()
        double[] rating = new double[texts];
        double[] logits = new double[texts];
        for (int v : images) {
            double max = Double.NEGATIVE_INFINITY;
            for (int t = 0; t < texts; t++) {
                double dot = 0;
                for (int c = 0; c < d; c++) {
                    dot += (double) x[v * d + c] * x[(textStart + t) * d + c];
                }
                logits[t] = dot;
                max = Math.max(max, dot);
            }
            double sum = 0;
            for (int t = 0; t < texts; t++) {
                logits[t] = Math.exp(logits[t] - max);
                sum += logits[t];
            }
            for (int t = 0; t < texts; t++) {
                rating[t] += logits[t] / sum / images.length;
            }
        }
        double mean = Arrays.stream(rating).sum() / texts;
        raterOffsets = IntStream.range(0, texts).filter(t -> rating[t] > mean).toArray();
        return null;
    }

    @Override
    public LayerPlan plan(int layer, ScheduleContext context) {
        relation = null;
        if (context.phase() != Phase.PREFILL || raterOffsets == null || stage(layer) < 0) {
            return LayerPlan.ALL_CACHE_INDEX;
        }
        int[] images = Rows.image(context);
        int textStart = textStart(context, images);
        int[] raters = Arrays.stream(raterOffsets).map(t -> textStart + t).toArray();
        float[] attention = context.attentionFrom(raters, layer, PositionRule.CACHE_INDEX);
        int rows = context.rows();
        relation = new float[rows];
        Arrays.fill(relation, Float.NaN);
        for (int v : images) {
            float sum = 0;
            for (int i = 0; i < raters.length; i++) {
                sum += attention[i * rows + v];
            }
            relation[v] = sum / raters.length;
        }
        return new LayerPlan(null, null, PositionRule.CACHE_INDEX, null, relation.clone());
    }

    @Override
    public int[] survivors(int layer, ScheduleContext context) {
        kept = null;
        if (relation == null) {
            return null;
        }
        int[] images = Rows.image(context);
        kept = Rows.keepTop(context, images, relation, Math.min(keep[stage(layer)], images.length - 1));
        return kept;
    }

    @Override
    public MergedRows mergedRows(int layer, ScheduleContext context) {
        if (relation == null) {
            return null;
        }
        int[] images = Rows.image(context);
        boolean[] survives = new boolean[context.rows()];
        for (int r : kept) {
            survives[r] = true;
        }
        int[] pruned = Arrays.stream(images).filter(r -> !survives[r]).toArray();
        // merge_token_num_stage1 = int(n * 0.3) + 1, by descending score; cluster_num = int(m / 10) + 1
        int[] recycled = byScoreDescending(pruned, relation, (int) (pruned.length * 0.3) + 1);
        int clusters = recycled.length / 10 + 1;
        int d = context.config().hiddenSize();
        float[] hidden = context.hidden();
        float[] x = new float[recycled.length * d];
        for (int i = 0; i < recycled.length; i++) {
            System.arraycopy(hidden, recycled[i] * d, x, i * d, d);
        }
        DensityPeakClusters.Clusters found = DensityPeakClusters.of(x, recycled.length, d, clusters);
        int[][] members = new int[clusters][];
        float[][] weights = new float[clusters][];
        int[] sequenceIndex = new int[clusters];
        for (int c = 0; c < clusters; c++) {
            int[] of = found.members(c);
            members[c] = Arrays.stream(of).map(i -> recycled[i]).toArray();
            weights[c] = new float[of.length];
            // all_weight = count + 1e-6; norm_weight = 1 / all_weight
            Arrays.fill(weights[c], 1f / (of.length + 1e-6f));
            sequenceIndex[c] = context.sequenceIndex(recycled[found.centres()[c]]);
        }
        int lastImage = images[images.length - 1];
        int insertAt = (int) Arrays.stream(kept).filter(r -> r <= lastImage).count();
        relation = null;
        return new MergedRows(members, weights, insertAt, TokenRole.IMAGE, sequenceIndex);
    }

    private int stage(int layer) {
        for (int i = 0; i < layers.length; i++) {
            if (layers[i] == layer) {
                return i;
            }
        }
        return -1;
    }

    /** The first row after the image block; the released code takes one contiguous image (LLaVA-1.5). */
    private int textStart(ScheduleContext context, int[] images) {
        if (images[images.length - 1] - images[0] + 1 != images.length) {
            throw new InvalidInputException("schedule " + spec(), "rates one contiguous block of image tokens, as"
                    + " the released code does; this prompt's image rows are split by text");
        }
        return images[images.length - 1] + 1;
    }

    /** The {@code n} rows with the highest scores, highest first (ties: the lower row first), as torch.topk lists them. */
    private static int[] byScoreDescending(int[] rows, float[] scoreOfRow, int n) {
        return Arrays.stream(rows).boxed()
                .sorted((a, b) -> {
                    int c = Float.compare(scoreOfRow[b], scoreOfRow[a]);
                    return c != 0 ? c : Integer.compare(a, b);
                })
                .limit(Math.min(n, rows.length)).mapToInt(Integer::intValue).toArray();
    }

    /** {@code sparsevlm:retain=192}, or {@code sparsevlm:layers=2,6,15;keep=300,200,110}. */
    public static final class Method implements ScheduleMethod {
        @Override
        public String name() {
            return "sparsevlm";
        }

        @Override
        public String summary() {
            return "at a few layers, keep the image tokens the text raters attend to most and merge some of the rest"
                    + " into cluster tokens (SparseVLM)";
        }

        @Override
        public List<ScheduleKey> keys() {
            return List.of(ScheduleKey.optional("retain", "the released RETAIN_TOKN setting: average image tokens"
                            + " over 32 layers, choosing the keep counts", "192, 128, 96 or 64", "192"),
                    ScheduleKey.of("layers", "0-based layers after which image tokens are pruned, ascending",
                            "0..L-2", "2,6,15 (pruning_loc), scaled by L/32 below 16 layers"),
                    ScheduleKey.of("keep", "image tokens kept at each pruning layer (before the merged ones)",
                            "0..", "300,200,110 for retain=192 (128: 303,110,36; 96: 238,48,26; 64: 66,30,17)"));
        }

        /** The demo's 64 image tokens: the released 64-token setting keeps 63, 30 and 17 of them. */
        @Override
        public String demoSpec() {
            return "sparsevlm:retain=64";
        }

        @Override
        public TokenSchedule create(ScheduleArguments arguments) {
            int layerCount = arguments.layers();
            int retain = Integer.parseInt(arguments.choice("retain", "192", List.of("192", "128", "96", "64")));
            int[] defaultLayers = layerCount >= 16 ? RELEASED_LAYERS : Arrays.stream(RELEASED_LAYERS)
                    .map(l -> (int) Math.round(l * layerCount / 32.0)).filter(l -> l <= layerCount - 2).distinct()
                    .toArray();
            int[] layers = arguments.intList("layers", defaultLayers, 0, layerCount - 2);
            for (int i = 1; i < layers.length; i++) {
                if (layers[i] <= layers[i - 1]) {
                    throw arguments.bad("layers", Arrays.toString(layers), "must be strictly ascending");
                }
            }
            int[] defaultKeep = Arrays.copyOf(RETAINED.get(retain), layers.length);
            for (int i = 3; i < defaultKeep.length; i++) {
                defaultKeep[i] = defaultKeep[i - 1];
            }
            int[] keep = arguments.intList("keep", defaultKeep, 0, Integer.MAX_VALUE);
            if (keep.length != layers.length) {
                throw arguments.bad("keep", Arrays.toString(keep), "must give one count per pruning layer ("
                        + layers.length + ")");
            }
            return new SparseVlmSchedule(layers, keep, arguments.canonical());
        }
    }
}
