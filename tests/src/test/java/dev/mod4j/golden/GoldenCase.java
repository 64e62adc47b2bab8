package dev.mod4j.golden;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mod4j.loaders.npy.NpyArray;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;

/** One directory of golden files written by tests/golden/generate_golden.py (PyTorch, float64 reference). */
record GoldenCase(String name, Path directory, JsonNode golden) {

    static GoldenCase load(String name) {
        try {
            Path dir = Path.of(GoldenCase.class.getResource("/golden/" + name + "/golden.json").toURI()).getParent();
            return new GoldenCase(name, dir, new ObjectMapper().readTree(dir.resolve("golden.json").toFile()));
        } catch (IOException | URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("golden case " + name + " not found; run tests/golden/generate_golden.py", e);
        }
    }

    int[] ints(String field) {
        JsonNode a = golden.get(field);
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asInt();
        }
        return out;
    }

    NpyArray array(String file) {
        return NpyArray.read(directory.resolve(file));
    }

    @Override
    public String toString() {
        return name;
    }
}
