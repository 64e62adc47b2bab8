package dev.mod4j.robustness;

import dev.mod4j.runtime.llava.MultimodalModel;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Closing a model unmaps its files and closes their descriptors: opening and closing many times leaks nothing. */
class ResourceHygieneTest {
    static long openFileDescriptors() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    static long mappingsOf(Path dir) throws IOException {
        String prefix = dir.toRealPath().toString();
        try (Stream<String> lines = Files.lines(Path.of("/proc/self/maps"))) {
            return lines.filter(l -> l.contains(prefix)).count();
        }
    }

    @Test
    void openingAndClosingAModelManyTimesLeaksNoMappingsOrDescriptors() throws Exception {
        Path dir = Path.of(getClass().getResource("/golden/llava-original-f32/config.json").toURI()).getParent();
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")), "needs /proc");
        try (MultimodalModel _ = MultimodalModel.load(dir)) {
            assertTrue(mappingsOf(dir) > 0, "a loaded model maps its safetensors files");
        }
        long fdsBefore = openFileDescriptors();
        for (int i = 0; i < 60; i++) {
            try (MultimodalModel model = MultimodalModel.load(dir)) {
                model.decoder().newSession(8).prefill(new int[]{1, 5, 7}, null);
            }
        }
        assertTrue(mappingsOf(dir) == 0, "no mapping of the model's files remains after close");
        long fdsAfter = openFileDescriptors();
        assertTrue(fdsAfter <= fdsBefore + 2, "descriptors before " + fdsBefore + ", after 60 open/close " + fdsAfter);
    }
}
