package dev.mod4j.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Mini-Gemini's patch info mining (mgm_arch.py {@code unified_resampler}, as the CPU backend's
 * {@code CpuMiniGeminiEncoder} computes it): each low-resolution token attends over its window of high-resolution
 * rows. The rows are sampled from the auxiliary ConvNeXt's four stage maps on the fly (the concatenated map is never
 * held whole), a chunk of consecutive tokens at a time: step[ROWS] window rows (or tokens), step[BASE] the chunk's
 * first token in its view, step[LAYER] the view (tiles row-major, then the global view).
 */
public final class PatchMining {
    /** {@code shape} layout: the stages' widths, then their channel offsets in a concatenated row. */
    public static final int WIDTHS = 0;
    public static final int OFFSETS = 4;
    /** Side of stage 0's map, which every stage is resized to. */
    public static final int AUX_SIDE = 8;
    /** Side of one view's share of that map. */
    public static final int VIEW_SIDE = 9;
    /** High-resolution positions per token, per side. */
    public static final int WINDOW = 10;
    /** Tokens per side of a view. */
    public static final int PER_SIDE = 11;
    public static final int GRID = 12;
    /** Channels of a concatenated row. */
    public static final int AUX_WIDTH = 13;
    public static final int SHAPE_SIZE = 14;

    private PatchMining() {
    }

    /**
     * Stage {@code stage}'s channels of the chunk's window rows [step[ROWS] × auxWidth] (row = token · window² +
     * wy · window + wx): stage 0's own value, or a later stage resized bilinearly (align_corners=False) to stage 0's
     * size; for the global view, that concatenated map resized again by 1/grid. {@code taps} holds, per stage s, the
     * first and second source index of each stage-0 coordinate at {@code 2s·auxSide} and {@code (2s+1)·auxSide}
     * (identity for stage 0), the global view's at {@code 8·auxSide} and {@code 9·auxSide}; {@code tapWeights} the
     * second index's weight at {@code s·auxSide}, the global view's at {@code 4·auxSide}.
     */
    public static void gatherStage(KernelContext context, IntArray step, FloatArray stageMap, IntArray shape,
                                   IntArray taps, FloatArray tapWeights, FloatArray out, int stage) {
        int width = shape.get(WIDTHS + stage);
        int e = context.globalIdx;
        if (e < step.get(Step.ROWS) * width) {
            int r = e / width;
            int ch = e - r * width;
            int window = shape.get(WINDOW);
            int perToken = window * window;
            int token = step.get(Step.BASE) + r / perToken;
            int inWindow = r - r / perToken * perToken;
            int perSide = shape.get(PER_SIDE);
            int ty = token / perSide;
            int tx = token - ty * perSide;
            int y = ty * window + inWindow / window;
            int x = tx * window + inWindow - inWindow / window * window;
            int auxSide = shape.get(AUX_SIDE);
            int viewSide = shape.get(VIEW_SIDE);
            int grid = shape.get(GRID);
            int view = step.get(Step.LAYER);
            int side = auxSide >> stage;
            float value;
            if (view < grid * grid) {
                int gy = view / grid;
                int gx = view - gy * grid;
                value = sample(stageMap, taps, tapWeights, stage, auxSide, side, width, gy * viewSide + y,
                        gx * viewSide + x, ch);
            } else {
                int y0 = taps.get(8 * auxSide + y);
                int y1 = taps.get(9 * auxSide + y);
                int x0 = taps.get(8 * auxSide + x);
                int x1 = taps.get(9 * auxSide + x);
                float ly = tapWeights.get(4 * auxSide + y);
                float lx = tapWeights.get(4 * auxSide + x);
                value = (1f - ly) * (1f - lx) * sample(stageMap, taps, tapWeights, stage, auxSide, side, width, y0, x0,
                        ch)
                        + (1f - ly) * lx * sample(stageMap, taps, tapWeights, stage, auxSide, side, width, y0, x1, ch)
                        + ly * (1f - lx) * sample(stageMap, taps, tapWeights, stage, auxSide, side, width, y1, x0, ch)
                        + ly * lx * sample(stageMap, taps, tapWeights, stage, auxSide, side, width, y1, x1, ch);
            }
            out.set(r * shape.get(AUX_WIDTH) + shape.get(OFFSETS + stage) + ch, value);
        }
    }

    /** Channel {@code ch} of a stage's map at stage-0 position (y, x), bilinear between its taps. */
    private static float sample(FloatArray map, IntArray taps, FloatArray tapWeights, int stage, int auxSide,
                                int side, int width, int y, int x, int ch) {
        int y0 = taps.get(2 * stage * auxSide + y);
        int y1 = taps.get((2 * stage + 1) * auxSide + y);
        int x0 = taps.get(2 * stage * auxSide + x);
        int x1 = taps.get((2 * stage + 1) * auxSide + x);
        float ly = tapWeights.get(stage * auxSide + y);
        float lx = tapWeights.get(stage * auxSide + x);
        float top = (1f - lx) * map.get((y0 * side + x0) * width + ch) + lx * map.get((y0 * side + x1) * width + ch);
        float bottom = (1f - lx) * map.get((y1 * side + x0) * width + ch) + lx * map.get((y1 * side + x1) * width
                + ch);
        return (1f - ly) * top + ly * bottom;
    }

    /**
     * {@code scores[t·perToken + j] = q_t · k_(t·perToken + j) · scale} for the chunk's step[ROWS] tokens, a NaN
     * product scored 0 (the released code's {@code nan_to_num} before the softmax). One work-item per score.
     */
    public static void windowScores(KernelContext context, IntArray step, FloatArray queries, FloatArray keys,
                                    FloatArray scores, int perToken, int width, float scale) {
        int e = context.globalIdx;
        if (e < step.get(Step.ROWS) * perToken) {
            int t = e / perToken;
            float dot = 0f;
            for (int i = 0; i < width; i++) {
                dot += queries.get(t * width + i) * keys.get(e * width + i);
            }
            scores.set(e, dot != dot ? 0f : dot * scale);
        }
    }

    /** Each token's scores → softmax probabilities over its window, in place. One work-item per token. */
    public static void windowSoftmax(KernelContext context, IntArray step, FloatArray scores, int perToken) {
        int t = context.globalIdx;
        if (t < step.get(Step.ROWS)) {
            int first = t * perToken;
            float max = scores.get(first);
            for (int j = 1; j < perToken; j++) {
                max = TornadoMath.max(max, scores.get(first + j));
            }
            float total = 0f;
            for (int j = 0; j < perToken; j++) {
                float p = TornadoMath.exp(scores.get(first + j) - max);
                scores.set(first + j, p);
                total += p;
            }
            for (int j = 0; j < perToken; j++) {
                scores.set(first + j, scores.get(first + j) / total);
            }
        }
    }

    /** {@code out[t] = x[t] + Σ_j p_tj · v_(t·perToken + j)} for the chunk's step[ROWS] tokens of {@code width}. */
    public static void addMined(KernelContext context, IntArray step, FloatArray x, FloatArray probabilities,
                                FloatArray values, FloatArray out, int perToken, int width) {
        int e = context.globalIdx;
        if (e < step.get(Step.ROWS) * width) {
            int t = e / width;
            int c = e - t * width;
            float mined = 0f;
            for (int j = 0; j < perToken; j++) {
                mined += probabilities.get(t * perToken + j) * values.get((t * perToken + j) * width + c);
            }
            out.set(e, x.get(e) + mined);
        }
    }
}
