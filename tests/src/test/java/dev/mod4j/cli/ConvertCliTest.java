package dev.mod4j.cli;

import dev.mod4j.loaders.safetensors.Checkpoint;
import dev.mod4j.loaders.safetensors.LoadMode;
import dev.mod4j.runtime.llava.MultimodalModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static dev.mod4j.loaders.MessageAssertions.assertMentions;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code convert}: pickled shards become sharded safetensors holding the same tensors, and the same model. */
class ConvertCliTest {
    @TempDir
    Path tmp;

    @Test
    void pickledShardsBecomeSafetensorsShardsOfTheSameModel() throws Exception {
        Path pickled = CliTest.golden("llava-original-f32").resolveSibling("llava-original-pytorch");
        Path out = tmp.resolve("converted");
        CliRun run = CliRun.of("convert", "--model", pickled.toString(), "--out", out.toString(),
                "--max-shard-bytes", "200000");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(Files.exists(out.resolve("model.safetensors.index.json")));
        assertTrue(Files.exists(out.resolve("config.json")));
        try (Checkpoint from = Checkpoint.open(pickled, LoadMode.MMAP); Checkpoint to = Checkpoint.open(out, LoadMode.MMAP)) {
            assertTrue(to.files().size() > 1, "several shards at this shard size");
            assertEquals(from.tensorNames(), to.tensorNames());
            for (String name : from.tensorNames()) {
                assertEquals(from.info(name).dtype(), to.info(name).dtype(), name);
                assertArrayEquals(from.tensor(name).shape(), to.tensor(name).shape(), name);
                assertArrayEquals(from.tensor(name).data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE),
                        to.tensor(name).data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), name);
            }
        }
        Path tower = pickled.resolve("clip-vision-tower");
        int[] prompt = {1, 5, 9, 13, 17};
        try (MultimodalModel a = MultimodalModel.load(pickled, tower, LoadMode.MMAP);
             MultimodalModel b = MultimodalModel.load(out, tower, LoadMode.MMAP)) {
            assertArrayEquals(a.decoder().newSession(8).prefill(prompt, null).clone(),
                    b.decoder().newSession(8).prefill(prompt, null).clone());
        }
        CliRun inspect = CliRun.of("inspect", "--model", out.toString(), "--vision-tower", tower.toString());
        assertMentions(inspect.out(), "format      safetensors: model-00001-of-");
    }

    @Test
    void aNonEmptyOutputDirectoryIsRefused() throws Exception {
        Files.writeString(tmp.resolve("something"), "x");
        CliRun run = CliRun.of("convert", "--model", CliTest.golden("llama-gqa-f32").toString(), "--out",
                tmp.toString());
        assertEquals(2, run.exitCode());
        assertMentions(run.err(), "--out", "not an empty directory");
    }
}
