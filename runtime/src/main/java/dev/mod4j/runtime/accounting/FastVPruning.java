package dev.mod4j.runtime.accounting;

/**
 * FastV's one-shot pruning (docs/methods.md §6): layers {@code 0..K−1} see every image token; from 0-based layer
 * {@code K} on, only the {@code round(N_v·(1−R))} best-ranked ones are left.
 *
 * @param pruneAfterLayers {@code K}, the number of layers that run on the full image (paper default 2)
 * @param prunedFraction   {@code R}, the fraction of image tokens removed (paper default 0.5)
 */
public record FastVPruning(int pruneAfterLayers, double prunedFraction) {

    /** The paper's default K = 2, R = 50% (keeps 288 of 576). */
    public static final FastVPruning DEFAULT = new FastVPruning(2, 0.5);

    public FastVPruning {
        if (pruneAfterLayers < 0) {
            throw new IllegalArgumentException("K must be non-negative, found " + pruneAfterLayers);
        }
        if (!(prunedFraction >= 0 && prunedFraction <= 1)) {
            throw new IllegalArgumentException("R must be in [0, 1], found " + prunedFraction);
        }
    }

    /**
     * Image tokens kept after pruning, {@code round(N_v·(1−R))} as the HF {@code fastv_config} computes it.
     * Python's {@code round} breaks ties to even, so we use {@link Math#rint}, not {@link Math#round}.
     */
    public int keptImageTokens(int imageTokens) {
        if (imageTokens < 0) {
            throw new IllegalArgumentException("image token count must be non-negative, found " + imageTokens);
        }
        return (int) Math.rint(imageTokens * (1 - prunedFraction));
    }

    /** Image tokens 0-based {@code layer} processes. */
    public int imageTokensAtLayer(int layer, int imageTokens) {
        if (layer < 0) {
            throw new IllegalArgumentException("layer index must be non-negative, found " + layer);
        }
        return layer < pruneAfterLayers ? imageTokens : keptImageTokens(imageTokens);
    }

    public ImageTokenBudget budget() {
        return this::imageTokensAtLayer;
    }
}
