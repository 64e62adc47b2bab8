package dev.mod4j.loaders.safetensors;

import dev.mod4j.loaders.InvalidInputException;

/** A checkpoint file or index that breaks the safetensors format rules; the message names file, tensor and problem. */
public class CheckpointFormatException extends InvalidInputException {
    public CheckpointFormatException(String source, String problem) {
        super(source, problem);
    }

    public CheckpointFormatException(String source, String problem, Throwable cause) {
        super(source, problem, cause);
    }
}
