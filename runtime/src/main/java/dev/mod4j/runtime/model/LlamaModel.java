package dev.mod4j.runtime.model;

import dev.mod4j.runtime.backend.RotaryEmbedding;
import dev.mod4j.runtime.weights.LlamaWeights;

import dev.mod4j.loaders.config.LlamaConfig;
import dev.mod4j.loaders.layout.ModelFiles;
import dev.mod4j.loaders.safetensors.LoadMode;
import dev.mod4j.runtime.backend.Backend;
import dev.mod4j.runtime.cpu.CpuBackend;

import java.nio.file.Path;
import java.util.function.Function;

/**
 * A loaded LLaMA decoder: config, weights (views into the checkpoint) and the backend that runs them.
 * Immutable and shareable between threads; each {@link Session} owns its own run state.
 */
public final class LlamaModel implements AutoCloseable {
    private final ModelFiles files;
    private final LlamaConfig config;
    private final LlamaWeights weights;
    private final RotaryEmbedding rope;
    private final Backend backend;

    /** The parts a backend is built from. */
    public record Parts(LlamaConfig config, LlamaWeights weights, RotaryEmbedding rope) {
    }

    private LlamaModel(ModelFiles files, Function<Parts, Backend> backendFactory) {
        this.files = files;
        this.config = files.config().text();
        this.weights = LlamaWeights.load(files);
        this.rope = new RotaryEmbedding(config, files.config().file().toString());
        this.backend = backendFactory.apply(new Parts(config, weights, rope));
    }

    /** Loads a model directory (mmap, CPU backend). */
    public static LlamaModel load(Path directory) {
        return load(ModelFiles.open(directory, null, LoadMode.MMAP), CpuBackend::of);
    }

    /** Loads the decoder of already opened model files; the model takes ownership of them. */
    public static LlamaModel load(ModelFiles files, Function<Parts, Backend> backendFactory) {
        try {
            return new LlamaModel(files, backendFactory);
        } catch (RuntimeException e) {
            files.close();
            throw e;
        }
    }

    public LlamaConfig config() {
        return config;
    }

    public LlamaWeights weights() {
        return weights;
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
