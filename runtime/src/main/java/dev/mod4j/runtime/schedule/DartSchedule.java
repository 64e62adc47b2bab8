package dev.mod4j.runtime.schedule;

import dev.mod4j.loaders.config.AnyresSettings;
import dev.mod4j.runtime.prompt.TokenRole;

import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * DART, Duplication-Aware Reduction of Tokens (docs/methods.md §11; Wen et al., EMNLP 2025; released code
 * ZichenWen1/DART at 5a19452, {@code llava/model/language_model/modeling_llama_self.py}: {@code DART.forward} and
 * {@code get_retained_image_token}). Before layer K (0-based) runs, in prefill:
 *
 * <ol>
 *   <li>pivots: the {@code pivot_image_token} image rows and the {@code pivot_text_token} rows after the image with
 *       the largest L1 norm of their key in layer K−1 (rotated, as cached);</li>
 *   <li>the output of layer K−1 goes through the model's final norm; for each pivot in the order Python iterates
 *       the set of their indices, the {@code keep // (pivots)} remaining image rows least similar to it (largest
 *       negative cosine) are kept and leave the candidates (the image pivots are never candidates);</li>
 *   <li>every other image row is dropped for layers ≥ K; the text pivots are text and stay anyway.</li>
 * </ol>
 *
 * Survivors keep their original positions ({@code position_ids = keep_indexs}), and decoding continues the original
 * numbering (HF's positions from the unpruned attention mask), so every layer uses {@link PositionRule#ORIGINAL}.
 * The image rows kept are the image pivots plus {@code (pivots) · (keep // pivots)} picks: 4 + 128 = 132 for the
 * released {@code max_num_trunction=128}.
 *
 * <p>LLaVA-NeXT (the released LLaVA-1.6 path, {@code '1.6' in model_name} in {@code llava/eval/model_vqa_loader.py}
 * and {@code config.text_length} in {@code modeling_llama_self.py}): the image span is every row that is not text,
 * {@code image_token_length = seq_len − text_length}, so the whole packed block, base view and
 * {@code image_newline} rows included; the picks are {@code min(retain_token_num_for_llava_next,
 * image_token_length − pivot_image_token) // (pivots)} per pivot, with {@code retain_token_num_for_llava_next = 320}
 * by default (the paper's LLaVA-NeXT rows keep 320 tokens). Here {@code keep} is that retain count on an anyres model
 * (default 320) and {@code max_num_trunction} on others (default 128).
 */
public final class DartSchedule implements TokenSchedule {
    private final int k;
    private final int keep;
    private final int imagePivots;
    private final int textPivots;
    private final boolean capAtImageRows;
    private final ScheduleSpec spec;

    /**
     * @param k           prune before this 0-based layer, on layer K−1's keys and output
     * @param keep        image rows picked by duplication ({@code max_num_trunction}), split evenly over the pivots
     * @param imagePivots pivots among the image rows ({@code pivot_image_token})
     * @param textPivots  pivots among the rows after the image ({@code pivot_text_token})
     */
    public DartSchedule(int k, int keep, int imagePivots, int textPivots) {
        this(k, keep, imagePivots, textPivots, false, ScheduleSpec.of("dart").with("layer", k).with("keep", keep)
                .with("pivots", new int[]{imagePivots, textPivots}));
    }

    /**
     * @param capAtImageRows the LLaVA-NeXT rule: picks at most {@code image rows − imagePivots} in all
     *                       ({@code min(retain_token_num_for_llava_next, image_token_length − pivot_image_token)})
     */
    private DartSchedule(int k, int keep, int imagePivots, int textPivots, boolean capAtImageRows,
                         ScheduleSpec spec) {
        this.k = k;
        this.keep = keep;
        this.imagePivots = imagePivots;
        this.textPivots = textPivots;
        this.capAtImageRows = capAtImageRows;
        this.spec = spec;
    }

    @Override
    public String spec() {
        return spec.toString();
    }

    @Override
    public LayerPlan plan(int layer, ScheduleContext context) {
        return LayerPlan.DENSE;
    }

    @Override
    public int[] survivors(int layer, ScheduleContext context) {
        if (context.phase() != Phase.PREFILL || layer != k - 1) {
            return null;
        }
        int[] images = Rows.image(context);
        if (images.length == 0) {
            return null;
        }
        // The released code takes the rows after the image block as the text (its image_token_start_index +
        // image_token_length onwards).
        int[] after = IntStream.range(images[images.length - 1] + 1, context.rows()).toArray();
        float[] keyNorms = context.keyL1Norms(layer);
        context.traceScores(keyNorms);
        int[] imagePivotRows = byScoreDescending(images, keyNorms, imagePivots);
        int[] textPivotRows = byScoreDescending(after, keyNorms, textPivots);
        int[] pivotRows = IntStream.concat(Arrays.stream(imagePivotRows), Arrays.stream(textPivotRows)).toArray();

        int[] pivotIndices = Arrays.stream(pivotRows).map(context::sequenceIndex).toArray();
        int[] order = PythonSetOrder.iterationOrder(pivotIndices);
        float[] cosines = context.cosineSimilarities(pivotRows, images, true);

        boolean[] kept = new boolean[context.rows()];
        boolean[] candidate = new boolean[context.rows()];
        for (int r : images) {
            candidate[r] = true;
        }
        for (int r : imagePivotRows) {
            kept[r] = true;
            candidate[r] = false;
        }
        int picks = capAtImageRows ? Math.max(0, Math.min(keep, images.length - imagePivots)) : keep;
        int perPivot = picks / (imagePivots + textPivots);
        for (int sequenceIndex : order) {
            int p = indexOf(pivotIndices, sequenceIndex);
            int[] candidates = Arrays.stream(images).filter(r -> candidate[r]).toArray();
            float[] negativeCosine = new float[candidates.length];
            for (int c = 0, j = 0; j < images.length; j++) {
                if (candidate[images[j]]) {
                    negativeCosine[c++] = -cosines[p * images.length + j];
                }
            }
            for (int r : TopK.select(candidates, negativeCosine, Math.min(perPivot, candidates.length))) {
                kept[r] = true;
                candidate[r] = false;
            }
        }
        int[] imageKept = Arrays.stream(images).filter(r -> kept[r]).toArray();
        if (imageKept.length == images.length) {
            return null;
        }
        return IntStream.range(0, context.rows()).filter(r -> context.role(r) != TokenRole.IMAGE
                || kept[r]).toArray();
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

    private static int indexOf(int[] values, int value) {
        for (int i = 0; i < values.length; i++) {
            if (values[i] == value) {
                return i;
            }
        }
        throw new IllegalStateException("pivot " + value + " not found");
    }

    /** {@code dart:layer=2;keep=128;pivots=4,4}. */
    public static final class Method implements ScheduleMethod {
        @Override
        public String name() {
            return "dart";
        }

        @Override
        public String summary() {
            return "before layer K, keep the image tokens least duplicated with a few pivot tokens (DART)";
        }

        @Override
        public List<ScheduleKey> keys() {
            return List.of(ScheduleKey.of("layer", "prune before this 0-based layer (after layer K, 1-based)",
                            "1..L-1", "2, or L-1 if smaller"),
                    ScheduleKey.of("keep", "image tokens picked by duplication (max_num_trunction; on LLaVA-NeXT"
                            + " retain_token_num_for_llava_next, at most the image rows less the image pivots); the"
                            + " image pivots are kept besides", "0..", "128, on LLaVA-NeXT 320"),
                    ScheduleKey.of("pivots", "pivot tokens: image,text (by key L1 norm)", "0.., at least one",
                            "4,4"));
        }

        /** The demo's 64 image tokens: keep 16 + 4 pivots, about the released 132 of 576. */
        @Override
        public String demoSpec() {
            return "dart:keep=16";
        }

        @Override
        public TokenSchedule create(ScheduleArguments arguments) {
            int layers = arguments.layers();
            int k = arguments.intValue("layer", Math.min(2, layers - 1), 1, layers - 1);
            boolean anyres = AnyresSettings.of(arguments.files().config(), null) != null;
            int keep = arguments.intValue("keep", anyres ? 320 : 128, 0, Integer.MAX_VALUE);
            int[] pivots = arguments.intList("pivots", new int[]{4, 4}, 0, Integer.MAX_VALUE);
            if (pivots.length != 2 || pivots[0] + pivots[1] < 1) {
                throw arguments.bad("pivots", Arrays.toString(pivots), "must be two counts, image,text, not both 0");
            }
            return new DartSchedule(k, keep, pivots[0], pivots[1], anyres, arguments.canonical());
        }
    }
}
