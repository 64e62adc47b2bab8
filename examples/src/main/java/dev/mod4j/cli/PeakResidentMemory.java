package dev.mod4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * This process's peak resident set size (Linux {@code VmHWM}), resettable so that each benchmark configuration is
 * measured on its own: writing {@code 5} to {@code /proc/self/clear_refs} sets the peak back to the current RSS.
 * Elsewhere both operations report nothing.
 */
final class PeakResidentMemory {
    private static final Path STATUS = Path.of("/proc/self/status");
    private static final Path CLEAR_REFS = Path.of("/proc/self/clear_refs");

    private PeakResidentMemory() {
    }

    /** Starts a new peak at the current resident size; false where the OS does not allow it. */
    static boolean reset() {
        try {
            Files.writeString(CLEAR_REFS, "5");
            return true;
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return false;
        }
    }

    /** The peak resident size since start or the last {@link #reset()}, in bytes. */
    static OptionalLong peakBytes() {
        return statusKilobytes("VmHWM:");
    }

    /** The current resident size, in bytes. */
    static OptionalLong currentBytes() {
        return statusKilobytes("VmRSS:");
    }

    private static OptionalLong statusKilobytes(String field) {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith(field)) {
                    String kilobytes = line.substring(field.length()).replace("kB", "").strip();
                    return OptionalLong.of(Long.parseLong(kilobytes) * 1024);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or an unexpected format: no measurement
        }
        return OptionalLong.empty();
    }
}
