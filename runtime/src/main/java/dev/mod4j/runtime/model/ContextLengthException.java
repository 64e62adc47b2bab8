package dev.mod4j.runtime.model;

import dev.mod4j.loaders.InvalidInputException;

/** A prompt (plus the tokens to generate) that does not fit the model's context or the session's capacity. */
public class ContextLengthException extends InvalidInputException {
    public ContextLengthException(String source, String problem) {
        super(source, problem);
    }
}
