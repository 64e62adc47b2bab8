package dev.mod4j.loaders.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Finds the original LLaVA layout's CLIP tower on disk, without any download. */
final class VisionTowerLocator {
    private VisionTowerLocator() {
    }

    /**
     * {@code mm_vision_tower} as a path (absolute, or relative to the working or the model directory), a folder
     * named after the repository inside or beside the model directory (as {@code huggingface-cli download --local-dir} leaves it),
     * then the hub cache's {@code main} snapshot. A candidate counts when it holds a {@code config.json}.
     */
    static TowerLookup find(String visionTower, Path modelDirectory, HubCache cache) {
        if (visionTower == null || visionTower.isBlank()) {
            return new TowerLookup(null, null, List.of());
        }
        Set<Path> candidates = new LinkedHashSet<>();
        Path asGiven = Path.of(visionTower);
        candidates.add(asGiven.toAbsolutePath());
        candidates.add(modelDirectory.resolve(asGiven));
        if (asGiven.getFileName() != null) {
            String name = asGiven.getFileName().toString();
            candidates.add(modelDirectory.resolve(name));
            if (modelDirectory.getParent() != null) {
                candidates.add(modelDirectory.getParent().resolve(name));
            }
        }
        List<String> searched = new ArrayList<>();
        for (Path candidate : candidates) {
            Path normal = candidate.normalize();
            searched.add(normal.toString());
            if (Files.isRegularFile(normal.resolve("config.json"))) {
                return new TowerLookup(normal, "from mm_vision_tower: " + normal, searched);
            }
        }
        if (HubCache.isRepoId(visionTower)) {
            Path repo = cache.repoFolder(visionTower);
            searched.add("the HuggingFace cache " + repo + " (refs/main)");
            Path snapshot = cache.snapshot(visionTower);
            if (snapshot != null && Files.isRegularFile(snapshot.resolve("config.json"))) {
                return new TowerLookup(snapshot, "HuggingFace cache: " + snapshot, searched);
            }
        }
        return new TowerLookup(null, null, searched);
    }
}
