package dev.mod4j.loaders.config;

import dev.mod4j.loaders.InvalidInputException;

/** A configuration file that is malformed, or a field with a missing, mistyped or out-of-range value. */
public class ConfigException extends InvalidInputException {
    public ConfigException(String source, String problem) {
        super(source, problem);
    }

    public ConfigException(String source, String problem, Throwable cause) {
        super(source, problem, cause);
    }
}
