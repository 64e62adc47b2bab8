package dev.mod4j.loaders;

/**
 * Bad input from the user's side: a file, field or value that mod4j cannot accept.
 * The message always starts with what was being read (a file, a tensor, a field, a parameter such as
 * "temperature" or "schedule spec"), then the problem, so that the CLI can print it as one line and exit with
 * status 2. Sources name what the engine was given, never a command-line flag: the CLI maps them to its flags.
 */
public class InvalidInputException extends RuntimeException {
    private final String source;
    private final String problem;

    public InvalidInputException(String source, String problem) {
        super(source + ": " + problem);
        this.source = source;
        this.problem = problem;
    }

    public InvalidInputException(String source, String problem, Throwable cause) {
        super(source + ": " + problem, cause);
        this.source = source;
        this.problem = problem;
    }

    /** The file, tensor, field or parameter the problem was found in. */
    public String source() {
        return source;
    }

    /** What is wrong with the source (the message without the source). */
    public String problem() {
        return problem;
    }
}
