package dev.mod4j.runtime.model;

import dev.mod4j.loaders.config.LlamaConfig;
import dev.mod4j.runtime.backend.Backend;

/**
 * One sequence being processed: its KV cache (one per layer), hidden-state rows and backend scratch, all allocated
 * once here and reused for every step. Not thread-safe; use one session per thread.
 */
public final class Session {
    private final LlamaModel model;
    private final LlamaConfig config;
    private final Backend backend;
    private final int capacity;
    private final LayerKvCache[] caches;
    private final Backend.Workspace workspace;
    private final float[] hidden;
    private final float[] logits;
    private final int[] positions;
    private final int[] tokenIndices;
    private final TokenRole[] roles;
    private int length;

    Session(LlamaModel model, int capacity) {
        this.model = model;
        this.config = model.config();
        if (capacity < 1) {
            throw new IllegalArgumentException("session capacity must be positive, got " + capacity);
        }
        if (capacity > config.maxPositionEmbeddings()) {
            throw new ContextLengthException("session", capacity + " tokens exceed the model's context of "
                    + config.maxPositionEmbeddings() + " (max_position_embeddings)");
        }
        this.backend = model.backend();
        this.capacity = capacity;
        this.caches = new LayerKvCache[config.numHiddenLayers()];
        for (int i = 0; i < caches.length; i++) {
            caches[i] = new LayerKvCache(config.kvDim(), capacity);
        }
        this.workspace = backend.newWorkspace(capacity);
        this.hidden = new float[Math.multiplyExact(capacity, config.hiddenSize())];
        this.logits = new float[config.vocabSize()];
        this.positions = new int[capacity];
        this.tokenIndices = new int[capacity];
        this.roles = new TokenRole[capacity];
    }

    public int length() {
        return length;
    }

    public int capacity() {
        return capacity;
    }

    public LayerKvCache cache(int layer) {
        return caches[layer];
    }

    /** KV-cache bytes held now, summed over layers. */
    public long kvCacheBytes() {
        long sum = 0;
        for (LayerKvCache c : caches) {
            sum += c.usedBytes();
        }
        return sum;
    }

    /** Forgets the sequence (keeps the buffers). */
    public void reset() {
        for (LayerKvCache c : caches) {
            c.clear();
        }
        length = 0;
    }

    /**
     * Runs {@code tokens} after what the session already holds (all rows at once, as matrix products) and returns the
     * logits of the last one (a view, overwritten by the next call). If {@code allLogits} is not null it receives the
     * logits of every token, row-major [tokens.length × vocab_size].
     */
    public float[] prefill(int[] tokens, float[] allLogits) {
        return prefill(PromptRows.ofTokens(tokens), allLogits);
    }

    /** As {@link #prefill(int[], float[])} for a prompt that may hold image feature rows. */
    public float[] prefill(PromptRows prompt, float[] allLogits) {
        int rows = prompt.length();
        checkFits(rows);
        int d = config.hiddenSize();
        for (int r = 0; r < rows; r++) {
            int imageRow = prompt.imageRowOfPosition()[r];
            if (imageRow >= 0) {
                System.arraycopy(prompt.imageRows(), imageRow * d, hidden, r * d, d);
            } else {
                embed(prompt.tokenIds()[r], r, r);
            }
            roles[length + r] = prompt.roles()[r];
        }
        return run(rows, allLogits);
    }

    /** One generation step: feeds {@code token} and returns the next-token logits (a view). */
    public float[] decode(int token) {
        checkFits(1);
        embed(token, 0, 0);
        roles[length] = TokenRole.RESPONSE;
        return run(1, null);
    }

    /** The role of each position so far. */
    public TokenRole role(int position) {
        if (position < 0 || position >= length) {
            throw new IndexOutOfBoundsException(position);
        }
        return roles[position];
    }

    private void embed(int id, int row, int index) {
        if (id < 0 || id >= config.vocabSize()) {
            throw new dev.mod4j.loaders.InvalidInputException("input ids", "token id " + id + " at index " + index
                    + " is outside the vocabulary [0, " + config.vocabSize() + ")");
        }
        backend.embed(id, hidden, row);
    }

    /** Runs {@code rows} rows already in {@link #hidden} at positions length.. and advances the sequence. */
    private float[] run(int rows, float[] allLogits) {
        for (int r = 0; r < rows; r++) {
            positions[r] = length + r;
            tokenIndices[r] = length + r;
        }
        for (int layer = 0; layer < caches.length; layer++) {
            backend.decoderLayer(layer, workspace, hidden, rows, positions, tokenIndices, null, caches[layer]);
        }
        if (allLogits != null) {
            for (int r = 0; r < rows; r++) {
                backend.logits(workspace, hidden, r, allLogits, r * config.vocabSize());
            }
            System.arraycopy(allLogits, (rows - 1) * config.vocabSize(), logits, 0, logits.length);
        } else {
            backend.logits(workspace, hidden, rows - 1, logits, 0);
        }
        length += rows;
        return logits;
    }

    private void checkFits(int rows) {
        if (rows < 1) {
            throw new dev.mod4j.loaders.InvalidInputException("input ids", "no tokens to run");
        }
        if (length + rows > capacity) {
            throw new ContextLengthException("prompt", (length + rows) + " tokens do not fit this session's capacity of "
                    + capacity + " (model context " + config.maxPositionEmbeddings() + ")");
        }
    }
}
