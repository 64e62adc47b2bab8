package dev.mod4j.runtime.generate;

import dev.mod4j.loaders.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * Text with {@code <image>} markers → input ids with image placeholders. If the tokenizer knows {@code <image>} as
 * the model's placeholder token (llava-hf), the text is encoded as is. Otherwise (original LLaVA, whose placeholder
 * -200 is no token) the text is split at each marker, each piece encoded on its own (as LLaVA's
 * {@code tokenizer_image_token} does, so the piece after an image starts with a fresh word boundary), and the
 * placeholder id put between them.
 */
public final class PromptEncoder {
    public static final String IMAGE_MARKER = "<image>";

    private PromptEncoder() {
    }

    public static int[] encode(Tokenizer tokenizer, String text, int placeholderId) {
        boolean addBos = tokenizer.addBosByDefault();
        OptionalInt markerToken = tokenizer.idOf(IMAGE_MARKER);
        if (!text.contains(IMAGE_MARKER) || markerToken.isPresent() && markerToken.getAsInt() == placeholderId) {
            return tokenizer.encode(text, addBos);
        }
        List<Integer> ids = new ArrayList<>();
        String[] pieces = text.split(IMAGE_MARKER, -1);
        for (int i = 0; i < pieces.length; i++) {
            if (i > 0) {
                ids.add(placeholderId);
            }
            boolean bos = i == 0 && addBos;
            if (pieces[i].isEmpty() && !bos) {
                continue;
            }
            for (int id : tokenizer.encode(pieces[i], bos)) {
                ids.add(id);
            }
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }
}
