package dev.mod4j.runtime.prompt;

/**
 * A prompt rebuilt with its images reduced inside the vision tower, and for each of its image rows (in order, all
 * images) the tower patch it stands for, or -1 (the class token): what reports draw as kept patches.
 */
public record ReducedPrompt(PromptRows prompt, int[] patchOfImageRow) {
}
