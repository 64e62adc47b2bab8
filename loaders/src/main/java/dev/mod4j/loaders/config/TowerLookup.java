package dev.mod4j.loaders.config;

import java.util.List;

/**
 * Where an original-layout model's CLIP tower was looked for, and found.
 *
 * @param directory the tower's checkpoint directory; null when not found on disk
 * @param origin    how it was found, for {@code inspect} (null when not found)
 * @param searched  every place looked, in order (empty when the tower was given)
 */
public record TowerLookup(java.nio.file.Path directory, String origin, List<String> searched) {
    public TowerLookup {
        searched = List.copyOf(searched);
    }

    /** "a, b, c": the places looked, for messages. */
    public String searchedList() {
        return String.join(", ", searched);
    }
}
