package dev.mod4j.runtime.accounting;

/**
 * What one decoder layer did in one forward pass (a prefill or one decode step): the tokens it processed, by
 * role, and the size of its KV cache afterwards. Under token schedules every layer has its own numbers
 * (docs/methods.md §7: all four methods make per-layer lengths differ).
 *
 * @param layer                 0-based layer index
 * @param processed             tokens that ran this layer's attention and MLP; skipped or dropped tokens are not
 *                              counted
 * @param kvEntriesAfter        entries in this layer's KV cache after the pass (every processed token appends one)
 * @param visibleKeys           the sum over processed rows of the keys each row attended to; only the
 *                              {@link FlopsConvention#EXACT} count uses it
 * @param selectionOverheadMacs multiply-adds this layer spent choosing tokens (router projections, PyramidDrop or
 *                              FastV attention scoring); only {@link FlopsConvention#EXACT} counts it
 */
public record LayerTokenCounts(int layer, TokensByRole processed, int kvEntriesAfter, long visibleKeys,
                               long selectionOverheadMacs) {

    public LayerTokenCounts {
        if (layer < 0) {
            throw new IllegalArgumentException("layer index must be non-negative, found " + layer);
        }
        if (kvEntriesAfter < processed.total()) {
            throw new IllegalArgumentException("layer " + layer + ": " + processed.total()
                    + " processed tokens cannot leave only " + kvEntriesAfter + " KV entries");
        }
        if (visibleKeys < 0 || selectionOverheadMacs < 0) {
            throw new IllegalArgumentException("layer " + layer + ": visible keys " + visibleKeys
                    + " and selection overhead " + selectionOverheadMacs + " must be non-negative");
        }
    }

    /**
     * Counts for a causal pass: the processed rows are appended after the {@code kvEntriesAfter − processed}
     * entries already cached and attend to all of those plus the rows before them in the pass. This holds for
     * all four methods, since a layer's kept tokens attend causally to that layer's kept tokens only.
     */
    public static LayerTokenCounts causal(int layer, TokensByRole processed, int kvEntriesAfter) {
        return causal(layer, processed, kvEntriesAfter, 0);
    }

    /** {@link #causal(int, TokensByRole, int)} with what the schedule spent choosing tokens at this layer. */
    public static LayerTokenCounts causal(int layer, TokensByRole processed, int kvEntriesAfter,
                                          long selectionOverheadMacs) {
        int rows = processed.total();
        return new LayerTokenCounts(layer, processed, kvEntriesAfter,
                ExactMacs.causalVisibleKeys(kvEntriesAfter - rows, rows), selectionOverheadMacs);
    }

    /** Rows processed, whatever their role. */
    public int processedTokens() {
        return processed.total();
    }

    /** This layer's cache length before the pass. */
    public int kvEntriesBefore() {
        return kvEntriesAfter - processed.total();
    }
}
