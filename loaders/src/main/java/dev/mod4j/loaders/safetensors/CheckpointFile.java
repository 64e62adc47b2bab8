package dev.mod4j.loaders.safetensors;

import java.nio.file.Path;
import java.util.Set;

/**
 * One file of a checkpoint, whatever its format: a safetensors file or a PyTorch zip checkpoint. {@link Checkpoint}
 * looks tensors up by name across such files; tensors are views into the file's (mapped or copied) memory and must
 * not be used after {@link #close}.
 */
public interface CheckpointFile extends AutoCloseable {
    Path path();

    /** The file's format as {@code inspect} shows it: "safetensors" or "pytorch zip". */
    String format();

    Set<String> tensorNames();

    boolean contains(String name);

    TensorInfo info(String name);

    Tensor tensor(String name);

    @Override
    void close();
}
