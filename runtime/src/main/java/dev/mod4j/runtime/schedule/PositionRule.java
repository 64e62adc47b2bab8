package dev.mod4j.runtime.schedule;

/** Which rotary position a processed token gets in a layer (stored with its cache entry). */
public enum PositionRule {
    /** The token's index in the original sequence (dense, FastV, p-MoD: gapped positions after skips or drops). */
    ORIGINAL,
    /**
     * The token's index in this layer's KV cache: positions renumbered compactly over what the layer processed
     * (γ-MoD per MoD layer; PyramidDrop per stage, where decode positions are thereby shifted by the dropped counts).
     */
    CACHE_INDEX
}
