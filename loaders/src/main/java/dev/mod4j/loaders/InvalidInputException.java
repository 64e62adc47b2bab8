package dev.mod4j.loaders;

/**
 * Bad input from the user's side: a file, field, flag or value that mod4j cannot accept.
 * The message always starts with what was being read (a file, a tensor, a field), then the problem,
 * so that the CLI can print it as one line and exit with status 2.
 */
public class InvalidInputException extends RuntimeException {
    private final String source;

    public InvalidInputException(String source, String problem) {
        super(source + ": " + problem);
        this.source = source;
    }

    public InvalidInputException(String source, String problem, Throwable cause) {
        super(source + ": " + problem, cause);
        this.source = source;
    }

    /** The file, tensor or field the problem was found in. */
    public String source() {
        return source;
    }
}
