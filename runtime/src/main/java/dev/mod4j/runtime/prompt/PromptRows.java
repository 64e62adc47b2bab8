package dev.mod4j.runtime.prompt;

import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.runtime.vision.ImageReduction;

import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * A prompt as the decoder sees it: one row per position, each either a token (embedded by the model) or a projected
 * image feature row, with its {@link TokenRole}.
 *
 * @param tokenIds       the token id of each position, -1 for image rows
 * @param imageRows      image feature rows, [imageRowCount × hidden], in sequence order
 * @param imageRowOfPosition for each position, its row in {@code imageRows}, or -1 for a token
 * @param imageReducer   rebuilds this prompt with each image reduced inside the vision tower (VisionZip), or null
 *                       when the prompt has no images or was built without its model
 */
public record PromptRows(int[] tokenIds, float[] imageRows, int[] imageRowOfPosition, TokenRole[] roles,
                         Function<ImageReduction, ReducedPrompt> imageReducer) {

    public PromptRows(int[] tokenIds, float[] imageRows, int[] imageRowOfPosition, TokenRole[] roles) {
        this(tokenIds, imageRows, imageRowOfPosition, roles, null);
    }

    /** The same prompt, rebuilt by {@code reducer} when a schedule reduces images in the tower. */
    public PromptRows withImageReducer(Function<ImageReduction, ReducedPrompt> reducer) {
        return new PromptRows(tokenIds, imageRows, imageRowOfPosition, roles, reducer);
    }

    /** Whether some position is an image row. */
    public boolean hasImages() {
        return imageStart() >= 0;
    }

    public int length() {
        return tokenIds.length;
    }

    /** A text-only prompt: every position is an instruction token. */
    public static PromptRows ofTokens(int[] ids) {
        TokenRole[] roles = new TokenRole[ids.length];
        Arrays.fill(roles, TokenRole.INSTRUCTION);
        int[] none = new int[ids.length];
        Arrays.fill(none, -1);
        return new PromptRows(ids.clone(), new float[0], none, roles);
    }

    /**
     * Replaces image placeholders in {@code ids} by image feature rows. Each image is either one placeholder (expanded
     * to all its rows, the original LLaVA convention) or exactly {@code rowsPerImage} consecutive placeholders (what
     * newer llava-hf processors emit). Positions before the first image are SYSTEM, later text INSTRUCTION.
     */
    public static PromptRows merge(int[] ids, int placeholderId, List<float[]> images, int rowsPerImage, int hidden) {
        int[] rows = new int[images.size()];
        Arrays.fill(rows, rowsPerImage);
        return merge(ids, placeholderId, images, rows, hidden);
    }

    /**
     * As {@link #merge(int[], int, List, int, int)} with a row count per image (LLaVA-NeXT: it depends on the
     * image's size). A run of placeholders is one pre-expanded image when its length is the next image's row count,
     * else that many single-placeholder images.
     */
    public static PromptRows merge(int[] ids, int placeholderId, List<float[]> images, int[] rowsPerImage,
                                   int hidden) {
        if (rowsPerImage.length != images.size()) {
            throw new IllegalArgumentException(rowsPerImage.length + " row counts for " + images.size() + " images");
        }
        int[] runStarts = new int[ids.length];
        int[] runLengths = new int[ids.length];
        int runs = 0;
        for (int i = 0; i < ids.length; ) {
            if (ids[i] != placeholderId) {
                i++;
                continue;
            }
            int j = i;
            while (j < ids.length && ids[j] == placeholderId) {
                j++;
            }
            int length = j - i;
            // A run as long as the next image's rows is one pre-expanded image; otherwise k single placeholders.
            if (runs < rowsPerImage.length && length == rowsPerImage[runs] && length > 1) {
                runStarts[runs] = i;
                runLengths[runs++] = length;
            } else {
                for (int k = 0; k < length; k++) {
                    runStarts[runs] = i + k;
                    runLengths[runs++] = 1;
                }
            }
            i = j;
        }
        if (runs != images.size()) {
            throw new InvalidInputException("prompt", "has " + runs + " image placeholder(s) (id " + placeholderId
                    + ") but " + images.size() + " image(s) were given");
        }
        long length = ids.length;
        long totalRows = 0;
        for (int r = 0; r < runs; r++) {
            length += rowsPerImage[r] - runLengths[r];
            totalRows += rowsPerImage[r];
        }
        int[] tokenIds = new int[Math.toIntExact(length)];
        int[] imageRowOf = new int[tokenIds.length];
        TokenRole[] roles = new TokenRole[tokenIds.length];
        float[] imageRows = new float[Math.toIntExact(totalRows * hidden)];
        int out = 0;
        int run = 0;
        int imageRow = 0;
        boolean seenImage = false;
        for (int i = 0; i < ids.length; ) {
            if (run < runs && i == runStarts[run]) {
                float[] features = images.get(run);
                int rows = rowsPerImage[run];
                if (features.length != rows * hidden) {
                    throw new InvalidInputException("image " + run, "has " + features.length + " feature values, expected "
                            + rows + " rows × " + hidden);
                }
                System.arraycopy(features, 0, imageRows, imageRow * hidden, features.length);
                for (int k = 0; k < rows; k++) {
                    tokenIds[out] = -1;
                    imageRowOf[out] = imageRow++;
                    roles[out++] = TokenRole.IMAGE;
                }
                i += runLengths[run++];
                seenImage = true;
                continue;
            }
            tokenIds[out] = ids[i];
            imageRowOf[out] = -1;
            roles[out++] = seenImage || runs == 0 ? TokenRole.INSTRUCTION : TokenRole.SYSTEM;
            i++;
        }
        return new PromptRows(tokenIds, imageRows, imageRowOf, roles);
    }

    /** Index of the first image row, or -1. */
    public int imageStart() {
        for (int i = 0; i < roles.length; i++) {
            if (roles[i] == TokenRole.IMAGE) {
                return i;
            }
        }
        return -1;
    }
}
