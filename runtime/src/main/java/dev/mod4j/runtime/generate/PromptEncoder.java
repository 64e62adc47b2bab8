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
 * placeholder id put between them. For a SentencePiece tokenizer.model (the original LLaVA layout, read as transformers'
 * slow LlamaTokenizer) that is done exactly as {@code tokenizer_image_token} of LLaVA's mm_utils.py does it.
 */
public final class PromptEncoder {
    public static final String IMAGE_MARKER = "<image>";

    private PromptEncoder() {
    }

    public static int[] encode(Tokenizer tokenizer, String text, int placeholderId) {
        return encode(tokenizer, text, placeholderId, true);
    }

    /** @param addSpecialTokens false: no bos/eos at all (transformers' {@code add_special_tokens=False}) */
    public static int[] encode(Tokenizer tokenizer, String text, int placeholderId, boolean addSpecialTokens) {
        boolean addBos = addSpecialTokens && tokenizer.addBosByDefault();
        OptionalInt markerToken = tokenizer.idOf(IMAGE_MARKER);
        if (!text.contains(IMAGE_MARKER) || markerToken.isPresent() && markerToken.getAsInt() == placeholderId) {
            return tokenizer.encode(text, addBos);
        }
        if (tokenizer.kind() == Tokenizer.Kind.SENTENCEPIECE) {
            return tokenizerImageToken(tokenizer, text, placeholderId, addSpecialTokens);
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

    /**
     * LLaVA's {@code tokenizer_image_token}: every chunk between {@code <image>} markers is tokenized with the
     * tokenizer's defaults (bos included); if the first chunk starts with bos, that bos is kept once and the first id
     * of every later chunk is dropped, whatever it is; the image id goes between chunks.
     */
    static int[] tokenizerImageToken(Tokenizer tokenizer, String text, int imageId) {
        return tokenizerImageToken(tokenizer, text, imageId, true);
    }

    static int[] tokenizerImageToken(Tokenizer tokenizer, String text, int imageId, boolean addSpecialTokens) {
        String[] chunks = text.split(IMAGE_MARKER, -1);
        List<int[]> chunkIds = new ArrayList<>();
        for (String chunk : chunks) {
            chunkIds.add(tokenizer.encode(chunk, addSpecialTokens && tokenizer.addBosByDefault(),
                    addSpecialTokens && tokenizer.addEosByDefault()));
        }
        List<Integer> ids = new ArrayList<>();
        int offset = 0;
        int[] first = chunkIds.get(0);
        if (first.length > 0 && tokenizer.bosId().isPresent() && first[0] == tokenizer.bosId().getAsInt()) {
            offset = 1;
            ids.add(first[0]);
        }
        for (int c = 0; c < chunkIds.size(); c++) {
            if (c > 0) {
                // insert_separator puts [image_id] * (offset + 1) between chunks; [offset:] leaves one.
                ids.add(imageId);
            }
            int[] chunk = chunkIds.get(c);
            for (int i = Math.min(offset, chunk.length); i < chunk.length; i++) {
                ids.add(chunk[i]);
            }
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }
}
