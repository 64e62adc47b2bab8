package dev.mod4j.runtime.prompt;

/**
 * What a position of the sequence is. Schedules need it: PyramidDrop ranks image tokens by the last instruction
 * token's attention, γ-MoD and p-MoD never skip text.
 */
public enum TokenRole {
    /** Text before the first image (BOS, system prompt, "USER:"). */
    SYSTEM,
    /** A projected image feature row. */
    IMAGE,
    /** Prompt text after the first image (the user's question and "ASSISTANT:"), or the whole text-only prompt. */
    INSTRUCTION,
    /** A generated token. */
    RESPONSE
}
