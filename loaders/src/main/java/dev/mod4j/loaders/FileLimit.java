package dev.mod4j.loaders;

/**
 * The kinds of user-given file mod4j reads whole (or streams), each with the most bytes it may hold. A file over its
 * limit is refused by its size before a byte is read, so a sparse huge file or a lying length cannot exhaust memory.
 * The limits are far above any real file of the kind (see README, "Limits of input files").
 */
public enum FileLimit {
    /** config.json, preprocessor_config.json, a tower's config.json: kilobytes. */
    CONFIG("config file", 16L << 20),
    /** model.safetensors.index.json, pytorch_model.bin.index.json: one line per tensor, a few hundred KB. */
    CHECKPOINT_INDEX("checkpoint index", 64L << 20),
    /** tokenizer.json, tokenizer.model, tokenizer_config.json (with chat templates): Llama 3's is 9 MB. */
    TOKENIZER("tokenizer file", 64L << 20),
    /** A --pixel-values .npy array: one 336×336 image is 1.3 MB, a batch of anyres tiles tens of MB. */
    PIXEL_VALUES(".npy array", 1L << 30),
    /** An image (--image, or one a question file names): a 89M-pixel PNG bomb is refused by its header anyway. */
    IMAGE("image", 256L << 20),
    /** An eval question file, an existing answers file, an arank --samples file: JSON lines, a few KB per record. */
    JSON_LINES("JSON-lines file", 256L << 20);

    private final String what;
    private final long maxBytes;

    FileLimit(String what, long maxBytes) {
        this.what = what;
        this.maxBytes = maxBytes;
    }

    /** What the file is, for messages ("config file"). */
    public String what() {
        return what;
    }

    public long maxBytes() {
        return maxBytes;
    }
}
