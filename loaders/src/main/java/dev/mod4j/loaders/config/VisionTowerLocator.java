package dev.mod4j.loaders.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Finds the original LLaVA layout's CLIP tower on disk, without any download. */
final class VisionTowerLocator {
    private VisionTowerLocator() {
    }

    static Path find(String visionTower, Path modelDirectory) {
        if (visionTower == null || visionTower.isBlank()) {
            return null;
        }
        Path asGiven = Path.of(visionTower);
        for (Path candidate : new Path[]{asGiven, modelDirectory.resolve(visionTower),
                modelDirectory.resolve(asGiven.getFileName().toString())}) {
            if (Files.isRegularFile(candidate.resolve("config.json"))) {
                return candidate;
            }
        }
        return findInHuggingFaceCache(visionTower);
    }

    /** {@code $HF_HOME/hub/models--org--name/snapshots/<rev>/} (default HF_HOME: ~/.cache/huggingface). */
    private static Path findInHuggingFaceCache(String repoId) {
        if (!repoId.matches("[\\w.-]+/[\\w.-]+")) {
            return null;
        }
        String hfHome = System.getenv("HF_HOME");
        Path hub = hfHome != null ? Path.of(hfHome, "hub")
                : Path.of(System.getProperty("user.home"), ".cache", "huggingface", "hub");
        Path snapshots = hub.resolve("models--" + repoId.replace("/", "--")).resolve("snapshots");
        if (!Files.isDirectory(snapshots)) {
            return null;
        }
        try (Stream<Path> s = Files.list(snapshots)) {
            return s.filter(p -> Files.isRegularFile(p.resolve("config.json")))
                    .max(Comparator.comparing(p -> p.toFile().lastModified())).orElse(null);
        } catch (IOException e) {
            return null;
        }
    }
}
