package dev.mod4j.loaders.fuzz;

import dev.mod4j.loaders.InvalidInputException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The contract every fuzz target checks: the code under test returns a result or throws one of mod4j's typed
 * {@link InvalidInputException}s, within a time budget. Any other exception propagates, so Jazzer reports it as a
 * finding; an {@link OutOfMemoryError} does too (surefire runs with -Xmx4g; inputs are at most a few KiB, so even
 * that budget is far beyond what a well-behaved parser needs).
 */
public final class FuzzContract {
    /** Per-input wall-clock budget; any sane input of a few KiB parses in milliseconds. */
    public static final long MAX_MILLIS = 5_000;

    private FuzzContract() {
    }

    public interface Body {
        void run() throws Exception;
    }

    /** Runs {@code body}; returns normally if it succeeds or throws an InvalidInputException. */
    public static void check(String target, Body body) throws Exception {
        long start = System.nanoTime();
        try {
            body.run();
        } catch (InvalidInputException expected) {
            if (expected.getMessage() == null || expected.getMessage().isBlank()) {
                throw new AssertionError(target + ": typed exception without a message", expected);
            }
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        if (millis > MAX_MILLIS) {
            throw new AssertionError(target + ": one input took " + millis + " ms, over the budget of " + MAX_MILLIS);
        }
    }

    /** A scratch directory for this JVM's fuzz inputs (each target rewrites its own files in it). */
    public static Path scratch(String name) {
        try {
            Path dir = Files.createTempDirectory("mod4j-fuzz-" + name);
            dir.toFile().deleteOnExit();
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Path write(Path file, byte[] bytes) {
        try {
            return Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
