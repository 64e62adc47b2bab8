package dev.mod4j.runtime.model;

import dev.mod4j.loaders.config.LlamaConfig;
import dev.mod4j.loaders.layout.ModelFiles;
import dev.mod4j.loaders.safetensors.LoadMode;
import dev.mod4j.runtime.backend.Backend;
import dev.mod4j.runtime.backend.Backends;
import dev.mod4j.runtime.backend.ModelParts;
import dev.mod4j.runtime.backend.RotaryEmbedding;
import dev.mod4j.runtime.backend.VisionParts;
import dev.mod4j.runtime.weights.LlamaWeights;

import java.nio.file.Path;
import java.util.function.Function;

/**
 * A loaded LLaMA decoder: config, rotary tables and the backend that holds the weights and runs them. Immutable and
 * shareable between threads; each {@link Session} owns its own run state.
 */
public final class LlamaModel implements AutoCloseable {
    private final ModelFiles files;
    private final LlamaConfig config;
    private final RotaryEmbedding rope;
    private final Backend backend;

    private LlamaModel(ModelFiles files, VisionParts vision, Function<ModelParts, Backend> backendFactory) {
        this.files = files;
        this.config = files.config().text();
        LlamaWeights weights = LlamaWeights.load(files);
        this.rope = new RotaryEmbedding(config, files.config().file().toString());
        this.backend = backendFactory.apply(new ModelParts(config, weights, rope, vision));
    }

    /** Loads a model directory (mmap, the default backend). */
    public static LlamaModel load(Path directory) {
        return load(ModelFiles.open(directory, null, LoadMode.MMAP), Backends.defaultFactory());
    }

    /** Loads the decoder of already opened model files; the model takes ownership of them. */
    public static LlamaModel load(ModelFiles files, Function<ModelParts, Backend> backendFactory) {
        return load(files, null, backendFactory);
    }

    /**
     * As {@link #load(ModelFiles, Function)}, with a model's vision side for the backend to run too (null: none);
     * the model takes ownership of the files.
     */
    public static LlamaModel load(ModelFiles files, VisionParts vision, Function<ModelParts, Backend> backendFactory) {
        try {
            return new LlamaModel(files, vision, backendFactory);
        } catch (RuntimeException e) {
            files.close();
            throw e;
        }
    }

    public LlamaConfig config() {
        return config;
    }

    public RotaryEmbedding rope() {
        return rope;
    }

    public Backend backend() {
        return backend;
    }

    public ModelFiles files() {
        return files;
    }

    /** A session able to hold {@code capacity} tokens (prompt + generated), at most max_position_embeddings. */
    public Session newSession(int capacity) {
        return new Session(this, capacity);
    }

    @Override
    public void close() {
        backend.close();
        files.close();
    }
}
