package dev.mod4j.runtime.schedule;

import dev.mod4j.runtime.prompt.TokenRole;

import java.util.stream.IntStream;

/** Row selections the methods share: the image rows of a context, and keeping the top-k of some rows. */
public final class Rows {
    private Rows() {
    }

    /** The current rows with role {@code role}, ascending. */
    public static int[] withRole(ScheduleContext context, TokenRole role) {
        return IntStream.range(0, context.rows()).filter(r -> context.role(r) == role).toArray();
    }

    /** The current image rows, ascending. */
    public static int[] image(ScheduleContext context) {
        return withRole(context, TokenRole.IMAGE);
    }

    /**
     * Every current row that is not a candidate, plus the {@code keep} candidates with the highest
     * {@code scoreOfRow} (ties: the lower row wins), ascending: {@code sort(topk(score, k).indices)} over the
     * candidates. {@code scoreOfRow} is indexed by row.
     */
    public static int[] keepTop(ScheduleContext context, int[] candidates, float[] scoreOfRow, int keep) {
        float[] candidateScores = new float[candidates.length];
        for (int i = 0; i < candidates.length; i++) {
            candidateScores[i] = scoreOfRow[candidates[i]];
        }
        int[] kept = TopK.select(candidates, candidateScores, keep);
        boolean[] out = new boolean[context.rows()];
        java.util.Arrays.fill(out, true);
        for (int r : candidates) {
            out[r] = false;
        }
        for (int r : kept) {
            out[r] = true;
        }
        return IntStream.range(0, context.rows()).filter(r -> out[r]).toArray();
    }

    /**
     * All non-image rows plus the {@code keep} image rows with the highest scores, ascending; null when that is
     * every row (no image rows, or {@code keep} at least their number).
     */
    public static int[] keepTopImages(ScheduleContext context, float[] scoreOfRow, int keep) {
        int[] images = image(context);
        if (images.length == 0 || keep >= images.length) {
            return null;
        }
        return keepTop(context, images, scoreOfRow, keep);
    }
}
