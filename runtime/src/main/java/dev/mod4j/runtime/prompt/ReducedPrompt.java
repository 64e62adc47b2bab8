package dev.mod4j.runtime.prompt;

/**
 * A prompt rebuilt with its images reduced inside the vision tower, and for each of its image rows (in order, all
 * images) the tower patch it stands for, or -1 (a class token, or a LLaVA-NeXT {@code image_newline}): what reports
 * draw as kept patches. For a LLaVA-NeXT image the patch is numbered over its crops, {@code crop · p² + patch}
 * (crop 0 the base view), as {@code AnyresPacking.sourceRows} numbers crop rows.
 */
public record ReducedPrompt(PromptRows prompt, int[] patchOfImageRow) {
}
