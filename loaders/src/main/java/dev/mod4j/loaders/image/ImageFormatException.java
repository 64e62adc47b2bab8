package dev.mod4j.loaders.image;

import dev.mod4j.loaders.InvalidInputException;

/** An image file mod4j cannot read: not a PNG or JPEG, truncated or corrupt, too large, or of an unsupported kind. */
public class ImageFormatException extends InvalidInputException {
    public ImageFormatException(String source, String problem) {
        super(source, problem);
    }

    public ImageFormatException(String source, String problem, Throwable cause) {
        super(source, problem, cause);
    }
}
