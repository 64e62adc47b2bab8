package dev.mod4j.loaders.tokenizer;

import dev.mod4j.loaders.InvalidInputException;

/**
 * A tokenizer.json or tokenizer_config.json that mod4j cannot use: malformed, inconsistent, or using
 * a feature mod4j does not implement. The message names the file, then the field, then the problem,
 * e.g. {@code tokenizer.json: model.merges[12]: expected "a b" pair, found number 7}.
 */
public class TokenizerFormatException extends InvalidInputException {
    public TokenizerFormatException(String file, String problem) {
        super(file, problem);
    }

    public TokenizerFormatException(String file, String problem, Throwable cause) {
        super(file, problem, cause);
    }
}
