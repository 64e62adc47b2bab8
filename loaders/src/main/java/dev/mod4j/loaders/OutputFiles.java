package dev.mod4j.loaders;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks made on an output path before any work is done, so that a path that cannot be written is a one-line
 * {@link InvalidInputException} up front rather than an I/O error after a long run.
 */
public final class OutputFiles {
    private OutputFiles() {
    }

    /** {@code file} can be created or overwritten: not a directory, in an existing writable directory. */
    public static void requireWritableFile(Path file) {
        String source = file.toString();
        if (Files.isDirectory(file)) {
            throw new InvalidInputException(source, "is a directory, not a file");
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            throw new InvalidInputException(source, Files.exists(parent) ? parent + " is not a directory"
                    : "directory " + parent + " does not exist");
        }
        if (Files.exists(file) ? !Files.isWritable(file) : parent != null && !Files.isWritable(parent)) {
            throw new InvalidInputException(source, Files.exists(file) ? "is not writable"
                    : "directory " + parent + " is not writable");
        }
    }

    /** {@code directory} exists and is writable, or can be created (its nearest existing ancestor is writable). */
    public static void requireWritableDirectory(Path directory) {
        String source = directory.toString();
        Path existing = directory.toAbsolutePath();
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            return;
        }
        if (!Files.isDirectory(existing)) {
            throw new InvalidInputException(source, existing.equals(directory.toAbsolutePath())
                    ? "is a file, not a directory" : existing + " is a file, not a directory");
        }
        if (!Files.isWritable(existing)) {
            throw new InvalidInputException(source, existing.equals(directory.toAbsolutePath())
                    ? "directory is not writable" : "cannot be created: " + existing + " is not writable");
        }
    }
}
