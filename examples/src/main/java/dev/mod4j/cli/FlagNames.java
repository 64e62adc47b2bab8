package dev.mod4j.cli;

import dev.mod4j.loaders.InvalidInputException;

import java.util.Map;

/**
 * The command-line flag behind each source the engine names in its errors. The engine says "temperature" or
 * "vision tower" (it knows no CLI); the user typed {@code --temperature} or left out {@code --vision-tower}, so the
 * CLI prints the flag in the source's place. Sources not listed (files, tensors, config fields) are printed as they
 * are.
 */
final class FlagNames {
    /** Engine source → flag. */
    static final Map<String, String> OF_SOURCE = Map.ofEntries(
            Map.entry("schedule spec", "--schedule"),
            Map.entry("temperature", "--temperature"),
            Map.entry("top-k", "--top-k"),
            Map.entry("top-p", "--top-p"),
            Map.entry("prompt template", "--template"),
            Map.entry("vision tower", "--vision-tower"),
            Map.entry("backend", "--backend"),
            Map.entry("device", "--device"),
            Map.entry("input ids", "--input-ids"),
            Map.entry("image aspect", "--image-aspect"),
            Map.entry("model", "--model"));

    private FlagNames() {
    }

    /** The one line the CLI prints for bad input: the flag (or the source, if no flag gives it) and the problem. */
    static String message(InvalidInputException e) {
        String flag = OF_SOURCE.get(e.source());
        return "mod4j: " + (flag == null ? e.getMessage() : flag + ": " + e.problem());
    }
}
