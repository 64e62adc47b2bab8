package dev.mod4j.runtime.llava;

import dev.mod4j.loaders.config.AnyresSettings;
import dev.mod4j.loaders.image.AnyresConvention;

/**
 * LLaVA-NeXT's feature packing: the projected rows of every crop (base first) arranged as the decoder reads them.
 * For {@code spatial_unpad} (LLaVA-1.6 and every llava-hf NeXT): the base crop's rows, then the tiles' rows placed on
 * one feature grid of {@code gridRows·p × gridColumns·p} (p = patches per side), the rows or columns that only saw
 * padding cut away ({@code unpad_image}, rounding per {@link AnyresConvention}), and {@code image_newline} after
 * every grid row. {@code spatial}: the whole grid row by row, no newline; {@code flat}: the crops one after another.
 *
 * <p>Follows {@code prepare_inputs_labels_for_multimodal} of haotian-liu/LLaVA (c121f04,
 * {@code llava/model/llava_arch.py}: {@code view(nph, npw, h, w, -1).permute(4, 0, 2, 1, 3)}, {@code unpad_image},
 * {@code torch.cat((feature, image_newline[:, None, None]...), dim=-1)}, base first) and transformers'
 * {@code LlavaNextModel.pack_image_features} (4.57.6, the same steps). A single crop (no tiles) is the base rows
 * plus one newline row under {@code spatial_unpad}, as both do for {@code image_feature.shape[0] == 1}.
 */
public final class AnyresPacking {
    /** A packed row that is {@code image_newline}, in {@link #sourceRows}. */
    public static final int NEWLINE = -1;

    private final AnyresSettings settings;
    private final int patchesPerSide;

    public AnyresPacking(AnyresSettings settings, int patchesPerSide) {
        this.settings = settings;
        this.patchesPerSide = patchesPerSide;
    }

    public AnyresSettings settings() {
        return settings;
    }

    /** Rows the decoder gets for {@code image}, counted without running the tower (the prompt's length). */
    public int rows(PreprocessedImage image, int rowsPerCrop) {
        return sourceRows(image, rowsPerCrop).length;
    }

    /**
     * For each packed row, the crop feature row it copies ({@code crop · rowsPerCrop + row}), or {@link #NEWLINE}.
     * {@code rowsPerCrop} is p² (the class token dropped) or p² + 1 ({@code full}: kept first in each crop, which
     * the grid arrangement cannot place, so it is refused for tiled images as transformers' shape check does).
     */
    public int[] sourceRows(PreprocessedImage image, int rowsPerCrop) {
        int p = patchesPerSide;
        int crops = image.crops();
        boolean unpad = settings.unpadWithNewline();
        if (settings.patchMergeType().equals("flat")) {
            return range(0, crops * rowsPerCrop);
        }
        if (crops == 1) {
            int[] out = range(0, rowsPerCrop + (unpad ? 1 : 0));
            if (unpad) {
                out[rowsPerCrop] = NEWLINE;
            }
            return out;
        }
        if (rowsPerCrop != p * p) {
            throw new dev.mod4j.loaders.InvalidInputException("vision_feature_select_strategy", "'full' keeps the"
                    + " class token, which does not fit LLaVA-NeXT's feature grid of " + p + "×" + p + " per crop");
        }
        int gridH = image.gridRows() * p;
        int gridW = image.gridColumns() * p;
        AnyresConvention.FeatureWindow window = unpad
                ? settings.convention().unpad(image.width(), image.height(), gridW, gridH)
                : new AnyresConvention.FeatureWindow(0, gridH, 0, gridW);
        int[] out = new int[rowsPerCrop + window.rows() * (window.columns() + (unpad ? 1 : 0))];
        int o = 0;
        for (int r = 0; r < rowsPerCrop; r++) {
            out[o++] = r;
        }
        for (int y = window.top(); y < window.top() + window.rows(); y++) {
            for (int x = window.left(); x < window.left() + window.columns(); x++) {
                int crop = 1 + (y / p) * image.gridColumns() + x / p;
                out[o++] = crop * rowsPerCrop + (y % p) * p + x % p;
            }
            if (unpad) {
                out[o++] = NEWLINE;
            }
        }
        return out;
    }

    /** The packed rows: {@code cropRows} [crops · rowsPerCrop × hidden] gathered, {@code newline} where it goes. */
    public float[] pack(float[] cropRows, PreprocessedImage image, int rowsPerCrop, int hidden, float[] newline) {
        int[] source = sourceRows(image, rowsPerCrop);
        float[] out = new float[Math.multiplyExact(source.length, hidden)];
        for (int i = 0; i < source.length; i++) {
            if (source[i] == NEWLINE) {
                System.arraycopy(newline, 0, out, i * hidden, hidden);
            } else {
                System.arraycopy(cropRows, source[i] * hidden, out, i * hidden, hidden);
            }
        }
        return out;
    }

    private static int[] range(int from, int to) {
        int[] out = new int[to - from];
        for (int i = 0; i < out.length; i++) {
            out[i] = from + i;
        }
        return out;
    }
}
