package dev.mod4j.loaders.fuzz;

import dev.mod4j.loaders.InvalidInputException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The contract every fuzz target checks: the code under test returns a result or throws one of mod4j's typed
 * {@link InvalidInputException}s, within a time budget and a memory budget. Any other exception propagates, so
 * Jazzer reports it as a finding; an {@link OutOfMemoryError} does too (surefire runs with -Xmx4g).
 *
 * <p>The memory budget counts every byte the input's thread allocates on the heap while parsing it (the JVM's
 * per-thread allocation counter), so a header that lies about sizes is caught even when the garbage is collected
 * before it could exhaust the heap. Inputs are at most a few KiB; the budget is far beyond what a well-behaved
 * parser needs for them and far below what a lying length field would make a naive one allocate.
 */
public final class FuzzContract {
    /** Per-input wall-clock budget; any sane input of a few KiB parses in milliseconds. */
    public static final long MAX_MILLIS = 5_000;
    /** Per-input heap allocation budget. */
    public static final long MAX_ALLOCATED_BYTES = 256L << 20;

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private FuzzContract() {
    }

    public interface Body {
        void run() throws Exception;
    }

    /** Runs {@code body}; returns normally if it succeeds or throws an InvalidInputException. */
    public static void check(String target, Body body) throws Exception {
        long start = System.nanoTime();
        long allocatedBefore = THREADS.getCurrentThreadAllocatedBytes();
        try {
            body.run();
        } catch (InvalidInputException expected) {
            if (expected.getMessage() == null || expected.getMessage().isBlank()) {
                throw new AssertionError(target + ": typed exception without a message", expected);
            }
        }
        long allocated = THREADS.getCurrentThreadAllocatedBytes() - allocatedBefore;
        if (allocated > MAX_ALLOCATED_BYTES) {
            throw new AssertionError(target + ": one input allocated " + (allocated >> 20) + " MiB, over the budget of "
                    + (MAX_ALLOCATED_BYTES >> 20) + " MiB");
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
