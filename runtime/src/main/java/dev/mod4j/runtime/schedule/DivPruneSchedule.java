package dev.mod4j.runtime.schedule;

import dev.mod4j.runtime.prompt.TokenRole;

import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * DivPrune (docs/methods.md §12; Alvar et al., CVPR 2025; released code vbdi/divprune at 799e2d9,
 * {@code LLaVA/llava/model/llava_arch.py}: {@code DivPrune}, {@code pairwise_cosine_similarity} and the
 * {@code LAYER_INDEX=0} branch of {@code prepare_inputs_labels_for_multimodal}). Before the decoder, on the image
 * rows of the input embeddings (the projected features), with distance {@code 1 − cos}: the first kept row is the
 * one whose nearest other row is farthest (the column maximum of the second-smallest distance), then repeatedly the
 * row farthest from everything kept so far (max over rows of the min distance to the kept set), until
 * {@code round(ratio · N_v)} rows (or {@code keep}) are chosen. The other image rows never enter the decoder.
 *
 * <p>LLaVA's generate passes no position ids, so HF numbers the pruned sequence compactly from its attention mask:
 * positions 0..n'−1 in prefill and n', n'+1, ... in decoding, i.e. {@link PositionRule#CACHE_INDEX} in every layer.
 */
public final class DivPruneSchedule implements TokenSchedule {
    private final Double ratio;
    private final int keep;
    private final ScheduleSpec spec;

    /** Keeps {@code round(ratio · N_v)} image rows ({@code SUBSET_RATIO}). */
    public static DivPruneSchedule ofRatio(double ratio) {
        return new DivPruneSchedule(ratio, 0, ScheduleSpec.of("divprune").with("ratio", ratio));
    }

    /** Keeps {@code keep} image rows. */
    public static DivPruneSchedule keeping(int keep) {
        return new DivPruneSchedule(null, keep, ScheduleSpec.of("divprune").with("keep", keep));
    }

    private DivPruneSchedule(Double ratio, int keep, ScheduleSpec spec) {
        this.ratio = ratio;
        this.keep = keep;
        this.spec = spec;
    }

    @Override
    public String spec() {
        return spec.toString();
    }

    @Override
    public int[] beforeDecoder(ScheduleContext context) {
        int[] images = Rows.image(context);
        // int(round(threshold_ratio * image_feature_length)): Python rounds half to even, as Math.rint does.
        int count = ratio != null ? (int) Math.rint(ratio * images.length) : Math.min(keep, images.length);
        if (images.length == 0 || count >= images.length) {
            return null;
        }
        int[] chosen = select(context.cosineSimilarities(images, images, false), images.length, count);
        boolean[] kept = new boolean[context.rows()];
        for (int c : chosen) {
            kept[images[c]] = true;
        }
        return IntStream.range(0, context.rows())
                .filter(r -> context.role(r) != TokenRole.IMAGE || kept[r]).toArray();
    }

    /**
     * The released greedy max–min selection on an n × n cosine matrix (row-major): indices into the rows, in the
     * order chosen. Ties go to the lowest index, as torch.argmax's.
     */
    static int[] select(float[] cosine, int n, int count) {
        int[] chosen = new int[count];
        float[] score = new float[n];
        for (int j = 0; j < n; j++) {
            // Column j's second-smallest distance: torch.topk(m, 2, dim=0, largest=False).values[1].
            float smallest = Float.POSITIVE_INFINITY;
            float second = Float.POSITIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                float d = 1f - cosine[i * n + j];
                if (d < smallest) {
                    second = smallest;
                    smallest = d;
                } else if (d < second) {
                    second = d;
                }
            }
            score[j] = second;
        }
        for (int s = 0; s < count; s++) {
            int best = 0;
            for (int j = 1; j < n; j++) {
                if (score[j] > score[best]) {
                    best = j;
                }
            }
            chosen[s] = best;
            // From the second pick on the score is min over the chosen rows of their distance to column j.
            for (int j = 0; j < n; j++) {
                float d = 1f - cosine[best * n + j];
                score[j] = s == 0 ? d : Math.min(score[j], d);
            }
        }
        return chosen;
    }

    @Override
    public LayerPlan plan(int layer, ScheduleContext context) {
        return LayerPlan.ALL_CACHE_INDEX;
    }

    /** {@code divprune:ratio=0.098} or {@code divprune:keep=64}. */
    public static final class Method implements ScheduleMethod {
        @Override
        public String name() {
            return "divprune";
        }

        @Override
        public String summary() {
            return "before the decoder, keep a max-min diverse subset of the projected image tokens (DivPrune)";
        }

        @Override
        public List<ScheduleKey> keys() {
            return List.of(ScheduleKey.optional("ratio", "fraction of the image tokens kept, rounded (SUBSET_RATIO)",
                            "(0, 1]", "0.098 unless keep is given"),
                    ScheduleKey.optional("keep", "image tokens kept, instead of ratio", "1..", "none"));
        }

        @Override
        public TokenSchedule create(ScheduleArguments arguments) {
            if (arguments.has("keep")) {
                if (arguments.has("ratio")) {
                    throw arguments.bad("keep", arguments.given().toString(), "give ratio or keep, not both");
                }
                int keep = arguments.intValue("keep", -1, 1, Integer.MAX_VALUE);
                return new DivPruneSchedule(null, keep, arguments.canonical());
            }
            double ratio = arguments.doubleValue("ratio", 0.098, 0, 1, false);
            return new DivPruneSchedule(ratio, 0, arguments.canonical());
        }
    }
}
