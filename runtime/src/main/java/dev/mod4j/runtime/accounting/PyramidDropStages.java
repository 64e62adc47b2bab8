package dev.mod4j.runtime.accounting;

import java.util.List;

/**
 * PyramidDrop's schedule (docs/methods.md §5.2): after each 1-based layer {@code j} in {@code layerList} the image
 * tokens are cut, permanently, to {@code int(N_v · ratio)} of the <em>original</em> count. A 0-based layer
 * {@code l} belongs to stage {@code s} = the number of list entries ≤ {@code l}; stage 0 is the full image.
 *
 * @param layerList           1-based layers after which tokens are dropped, increasing ({@code [8, 16, 24]})
 * @param imageTokenRatioList the fraction of the original image tokens kept after each listed layer, <b>without</b>
 *                            the leading 1.0 the code prepends ({@code [0.5, 0.25, 0.125]}; §5.2, §5.8 pitfall 2)
 */
public record PyramidDropStages(List<Integer> layerList, List<Double> imageTokenRatioList) {

    /** The released default for LLaVA-1.5 and LLaVA-NeXT: S = 4, λ = 0.5. */
    public static final PyramidDropStages DEFAULT = new PyramidDropStages(List.of(8, 16, 24),
            List.of(0.5, 0.25, 0.125));

    public PyramidDropStages {
        layerList = List.copyOf(layerList);
        imageTokenRatioList = List.copyOf(imageTokenRatioList);
        if (layerList.size() != imageTokenRatioList.size()) {
            throw new IllegalArgumentException(layerList.size() + " drop layers but " + imageTokenRatioList.size()
                    + " ratios; give one ratio per listed layer and no leading 1.0 (it is implied)");
        }
        for (int i = 0; i < layerList.size(); i++) {
            if (layerList.get(i) < 1 || (i > 0 && layerList.get(i) <= layerList.get(i - 1))) {
                throw new IllegalArgumentException("drop layers must be increasing 1-based layer numbers, found "
                        + layerList);
            }
            double ratio = imageTokenRatioList.get(i);
            if (!(ratio >= 0 && ratio <= 1)) {
                throw new IllegalArgumentException("image-token ratios must be in [0, 1], found " + ratio);
            }
        }
    }

    /** Stages {@code S} = drops + 1. */
    public int stageCount() {
        return layerList.size() + 1;
    }

    /** Image tokens each stage processes: {@code int(N_v · r_s)} with {@code r_0 = 1} (576 → 576/288/144/72). */
    public int[] stageImageTokens(int imageTokens) {
        int[] counts = new int[stageCount()];
        counts[0] = imageTokens;
        for (int s = 1; s < counts.length; s++) {
            counts[s] = (int) (imageTokens * imageTokenRatioList.get(s - 1));
        }
        return counts;
    }

    /** The stage 0-based {@code layer} is in. */
    public int stageOfLayer(int layer) {
        if (layer < 0) {
            throw new IllegalArgumentException("layer index must be non-negative, found " + layer);
        }
        int stage = 0;
        while (stage < layerList.size() && layerList.get(stage) <= layer) {
            stage++;
        }
        return stage;
    }

    /** Image tokens 0-based {@code layer} processes. */
    public int imageTokensAtLayer(int layer, int imageTokens) {
        return stageImageTokens(imageTokens)[stageOfLayer(layer)];
    }

    public ImageTokenBudget budget() {
        return this::imageTokensAtLayer;
    }
}
