package dev.mod4j.eval;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Whether the user watches standard error on a terminal, and where progress is drawn if so. {@code bin/mod4j} pipes
 * the JVM's standard error through a filter (it drops the Vector API's incubator warning), so the JVM never sees the
 * terminal itself: the script passes the terminal's path in {@value #TERMINAL_PROPERTY} when its own standard error
 * is one, and bars are drawn straight onto it (through the filter, a line redrawn with {@code \r} would only appear
 * when it ends). A JVM started otherwise looks at its own standard error.
 */
public final class StandardErrorTerminal {
    /** The terminal device standard error is on (e.g. /dev/pts/3), set by {@code bin/mod4j}; empty when piped. */
    public static final String TERMINAL_PROPERTY = "mod4j.stderr.terminal";

    private static PrintWriter scriptTerminal;

    private StandardErrorTerminal() {
    }

    /** True when standard error is a terminal. */
    public static boolean isTerminal() {
        String property = System.getProperty(TERMINAL_PROPERTY);
        if (property != null) {
            return !property.isBlank();
        }
        // Linux: read off /proc/self/fd/2; elsewhere the JDK's Console.isTerminal() (standard input and output).
        Path fd = Path.of("/proc/self/fd/2");
        if (Files.isSymbolicLink(fd)) {
            try {
                String target = Files.readSymbolicLink(fd).toString();
                return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
            } catch (IOException | SecurityException e) {
                return false;
            }
        }
        java.io.Console console = System.console();
        return console != null && console.isTerminal();
    }

    /**
     * The terminal device standard error is on, or "" when it is not on one (or this is not Linux): what a child
     * JVM whose standard error is piped to this one gets in {@value #TERMINAL_PROPERTY}, to draw its own progress.
     */
    public static String device() {
        String property = System.getProperty(TERMINAL_PROPERTY);
        if (property != null) {
            return property;
        }
        if (!isTerminal()) {
            return "";
        }
        try {
            return Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    /**
     * Where to draw progress: the terminal {@code bin/mod4j} named, else {@code standardError} when it is on a
     * terminal (null: {@code System.err}); null when standard error is not a terminal (then nothing is drawn).
     */
    public static synchronized PrintWriter writer(PrintWriter standardError) {
        if (!isTerminal()) {
            return null;
        }
        String property = System.getProperty(TERMINAL_PROPERTY);
        if (property == null) {
            return standardError != null ? standardError : new PrintWriter(System.err, true);
        }
        if (scriptTerminal == null) {
            try {
                scriptTerminal = new PrintWriter(new OutputStreamWriter(
                        Files.newOutputStream(Path.of(property), StandardOpenOption.WRITE), StandardCharsets.UTF_8),
                        true); // WRITE alone: the device must exist, nothing is created or truncated
            } catch (IOException | RuntimeException e) {
                return null; // no progress rather than a failed command
            }
        }
        return scriptTerminal;
    }
}
