package dev.mod4j.runtime.accounting;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * One call through the decoder (a prefill, or one decode step): the tokens that entered it and what each layer
 * did. A run is a list of passes; its dense reference is the same passes with every layer processing every input
 * token ({@link #dense}).
 *
 * @param input     the tokens entering layer 0, by role
 * @param layers    one entry per decoder layer, in layer order
 * @param logitRows rows sent through the LM head (1 when generating, all rows for a scoring forward)
 */
public record ForwardPass(TokensByRole input, List<LayerTokenCounts> layers, int logitRows) {

    public ForwardPass {
        layers = List.copyOf(layers);
        for (int i = 0; i < layers.size(); i++) {
            if (layers.get(i).layer() != i) {
                throw new IllegalArgumentException("entry " + i + " of the pass describes layer "
                        + layers.get(i).layer() + "; layers must be listed in order from 0");
            }
        }
        if (logitRows < 0 || logitRows > input.total()) {
            throw new IllegalArgumentException(logitRows + " logit rows for a pass of " + input.total() + " tokens");
        }
    }

    /** The dense model's pass: every layer processes every input token after {@code cachedBefore} cached ones. */
    public static ForwardPass dense(int numLayers, TokensByRole input, int cachedBefore, int logitRows) {
        List<LayerTokenCounts> layers = new ArrayList<>(numLayers);
        for (int layer = 0; layer < numLayers; layer++) {
            layers.add(LayerTokenCounts.causal(layer, input, cachedBefore + input.total()));
        }
        return new ForwardPass(input, layers, logitRows);
    }

    /**
     * A hypothetical prefill on an empty cache where layer {@code l} processes {@code processedAtLayer.apply(l)}
     * (used to cost a schedule without running a model, e.g. γ-MoD's shortened MoD layers).
     */
    public static ForwardPass prefill(int numLayers, TokensByRole input, IntFunction<TokensByRole> processedAtLayer,
                                      int logitRows) {
        List<LayerTokenCounts> layers = new ArrayList<>(numLayers);
        for (int layer = 0; layer < numLayers; layer++) {
            TokensByRole processed = processedAtLayer.apply(layer);
            layers.add(LayerTokenCounts.causal(layer, processed, processed.total()));
        }
        return new ForwardPass(input, layers, logitRows);
    }

    /** A hypothetical prefill on an empty cache where all text is processed and image tokens follow {@code budget}. */
    public static ForwardPass prefill(int numLayers, TokensByRole input, ImageTokenBudget budget, int logitRows) {
        return prefill(numLayers, input, layer -> input.withImage(budget.imageTokensAtLayer(layer, input.image())),
                logitRows);
    }

    /** Each layer's KV-cache length after this pass. */
    public int[] kvEntriesPerLayer() {
        return layers.stream().mapToInt(LayerTokenCounts::kvEntriesAfter).toArray();
    }
}
