package dev.mod4j.runtime.schedule;

/**
 * What one decoder layer does with the current rows (the tokens still in the residual stream).
 *
 * @param processedRows   indices of the current rows the layer processes, ascending; null means all rows.
 *                        Rows not listed skip the layer: not gathered, not cached, passed through (or scaled)
 * @param mlpGate         per processed row, the factor on its MLP output (γ-MoD: router probability; p-MoD: TanhNorm
 *                        weight); null means 1
 * @param positions       how processed rows' rotary positions are chosen
 * @param skippedRowScale per current row, the factor applied to the whole state of a row the layer skips
 *                        (p-MoD's STRing); null means skipped rows pass through unchanged
 * @param scores          per current row, the score the decision was based on (for the routing trace); may be null
 */
public record LayerPlan(int[] processedRows, float[] mlpGate, PositionRule positions, float[] skippedRowScale,
                        float[] scores) {

    /** Every row, gate 1, original positions: the dense layer. */
    public static final LayerPlan DENSE = new LayerPlan(null, null, PositionRule.ORIGINAL, null, null);
    /** Every row, gate 1, positions continuing the layer's cache (renumbered). */
    public static final LayerPlan ALL_CACHE_INDEX = new LayerPlan(null, null, PositionRule.CACHE_INDEX, null, null);

    public boolean processesAll() {
        return processedRows == null;
    }

    /** Number of rows processed, given the number of current rows. */
    public int processedCount(int rows) {
        return processedRows == null ? rows : processedRows.length;
    }
}
