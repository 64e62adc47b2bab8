package dev.mod4j.loaders.image;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;

/**
 * Where LLaVA's own anyres code and transformers' LLaVA-NeXT code differ. The checkpoint's layout decides which
 * one mod4j follows: the original layout follows haotian-liu/LLaVA (c121f04, {@code llava/mm_utils.py},
 * {@code llava/model/llava_arch.py}), llava-hf follows transformers (4.57.6, {@code image_processing_utils.py},
 * {@code models/llava_next/modeling_llava_next.py} and {@code processing_llava_next.py}).
 *
 * <ol>
 *   <li><b>Pinpoint axes.</b> LLaVA's {@code select_best_resolution} reads each pinpoint as (width, height) and the
 *       image as {@code image.size} (width, height); transformers' reads both as (height, width). The same list then
 *       offers the same shapes in another order, and a tie (equal effective and wasted resolution) goes to the
 *       first: an image smaller than the base size both ways ties {@code [336, 672]} with {@code [672, 336]}, and
 *       LLaVA tiles it 1 wide × 2 tall where transformers tiles it 2 wide × 1 tall (other crops, other pixels).</li>
 *   <li><b>Unpad rounding.</b> LLaVA's {@code unpad_image} keeps {@code int(original_height * (current_width /
 *       original_width))} feature rows (or columns), truncating a float that should be whole but lands just below
 *       (e.g. {@code 376 * (24 / 47) = 191.99999999999997}); transformers (since the fix that made processor and
 *       model agree) keeps {@code int(round(x, 7))}. The number of image tokens then differs: for a 47×376 image on
 *       the tiny model, 136 against 184 rows; on LLaVA-1.6's 336 px pinpoints e.g. 205×656 (1296 against 1392)
 *       or 352×110 (1262 against 1360); 640×480 gives 2340 in both.</li>
 *   <li><b>Processor against model</b> (transformers 4.4x): {@code LlavaNextProcessor._get_unpadded_features}
 *       and the model's {@code unpad_image} computed the unpadded size differently (issue #33261: height and width
 *       swapped in the processor; PR #34522 gave the model {@code round(x, 7)}, PR #35779 the processor), so for
 *       such sizes the processor inserted another number of {@code <image>} tokens than the model produced
 *       features and the forward pass failed ("Image features and image tokens do not match"). 4.57.6 rounds in
 *       both; mod4j counts with the function it packs with, so the two cannot disagree.</li>
 * </ol>
 * Both place the resized image on black with the same offsets, tile row-major and put the whole image squashed
 * to the base size first (transformers' slow, PIL-based processor; its torchvision "fast" processor resizes
 * differently and is not what llava-hf's {@code preprocessor_config.json} selects).
 */
public enum AnyresConvention {
    /** haotian-liu/LLaVA: pinpoints (width, height), unpad truncates the float. */
    LLAVA,
    /** transformers' LLaVA-NeXT: pinpoints (height, width), unpad rounds to 7 decimals first. */
    TRANSFORMERS;

    /**
     * {@code select_best_resolution}: the pinpoint (as {width, height} in pixels) that keeps the most of the image's
     * resolution, ties to the least waste, then to the first in the list as this convention orders its axes.
     */
    public int[] bestResolution(int width, int height, List<int[]> pinpoints) {
        int[] best = null;
        long maxEffective = 0;
        long minWasted = Long.MAX_VALUE;
        for (int[] p : pinpoints) {
            int w = this == LLAVA ? p[0] : p[1];
            int h = this == LLAVA ? p[1] : p[0];
            double scale = Math.min((double) w / width, (double) h / height);
            long downscaledW = (long) (width * scale);
            long downscaledH = (long) (height * scale);
            long effective = Math.min(downscaledW * downscaledH, (long) width * height);
            long wasted = (long) w * h - effective;
            if (effective > maxEffective || effective == maxEffective && wasted < minWasted) {
                maxEffective = effective;
                minWasted = wasted;
                best = new int[] {w, h};
            }
        }
        if (best == null) {
            throw new IllegalArgumentException("no grid pinpoints");
        }
        return best;
    }

    /**
     * {@code unpad_image} on a feature grid of {@code gridWidth × gridHeight} for an image of {@code width ×
     * height}: the rows {@code [top, top + rows)} and columns {@code [left, left + columns)} that stay.
     */
    public FeatureWindow unpad(int width, int height, int gridWidth, int gridHeight) {
        double originalAspect = (double) width / height;
        double currentAspect = (double) gridWidth / gridHeight;
        if (originalAspect > currentAspect) {
            int newHeight = whole(height * ((double) gridWidth / width));
            int padding = Math.floorDiv(gridHeight - newHeight, 2);
            return new FeatureWindow(padding, gridHeight - 2 * padding, 0, gridWidth);
        }
        int newWidth = whole(width * ((double) gridHeight / height));
        int padding = Math.floorDiv(gridWidth - newWidth, 2);
        return new FeatureWindow(0, gridHeight, padding, gridWidth - 2 * padding);
    }

    /** Python's {@code int(x)} (LLaVA) or {@code int(round(x, 7))} (transformers; round is correctly rounded). */
    private int whole(double x) {
        if (this == LLAVA) {
            return (int) x;
        }
        return new BigDecimal(x).setScale(7, RoundingMode.HALF_EVEN).intValue();
    }

    /** The part of a feature grid that survives unpadding. */
    public record FeatureWindow(int top, int rows, int left, int columns) {
    }
}
