package dev.mod4j.loaders.synthetic;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.function.Consumer;

/** Generated models (demo, benchmarks) kept in a cache directory, written once and moved into place atomically. */
public final class ModelCache {
    private ModelCache() {
    }

    /** {@code root/name}, written by {@code writer} into a staging directory first if it does not exist yet. */
    public static Path ensure(Path root, String name, Consumer<Path> writer) {
        Path dir = root.resolve(name);
        if (Files.isRegularFile(dir.resolve("config.json"))) {
            return dir;
        }
        try {
            Files.createDirectories(root);
            Path staging = Files.createTempDirectory(root, name + "-staging-");
            writer.accept(staging);
            try {
                Files.move(staging, dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException raced) {
                // Another process wrote it first; keep theirs.
                if (!Files.isRegularFile(dir.resolve("config.json"))) {
                    throw raced;
                }
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + name + " under " + root, e);
        }
    }

    /** {@code $MOD4J_CACHE}, else {@code ~/.cache/mod4j}. */
    public static Path defaultRoot() {
        String env = System.getenv("MOD4J_CACHE");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        return Path.of(System.getProperty("user.home"), ".cache", "mod4j");
    }
}
