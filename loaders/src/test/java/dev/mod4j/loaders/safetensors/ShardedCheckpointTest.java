package dev.mod4j.loaders.safetensors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static dev.mod4j.loaders.MessageAssertions.assertMentions;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ShardedCheckpointTest {
    @TempDir
    Path dir;

    private List<SafetensorsWriter.TensorData> tensors(int count) {
        List<SafetensorsWriter.TensorData> out = new ArrayList<>();
        for (int t = 0; t < count; t++) {
            float[] v = new float[100];
            for (int i = 0; i < v.length; i++) {
                v[i] = t * 1000 + i;
            }
            out.add(SafetensorsWriter.TensorData.ofFloats("layer." + t + ".weight", DType.F32, new long[]{10, 10}, v));
        }
        return out;
    }

    @Test
    void shardedSetReadsBackThroughItsIndex() throws Exception {
        List<Path> written = ShardedCheckpointWriter.write(dir, tensors(7), 1000);
        // 400 bytes per tensor, at most 1000 per shard -> 2 per shard -> 4 shards + index.
        assertEquals(5, written.size());
        assertTrue(Files.exists(dir.resolve("model-00004-of-00004.safetensors")));
        String index = Files.readString(dir.resolve("model.safetensors.index.json"));
        assertTrue(index.contains("\"total_size\" : 2800"), index);
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            assertEquals(4, ckpt.files().size());
            assertEquals(7, ckpt.tensorNames().size());
            assertEquals(2800, ckpt.tensorBytes());
            for (int t = 0; t < 7; t++) {
                float[] v = ckpt.tensor("layer." + t + ".weight").toFloatArray();
                assertEquals(t * 1000 + 99, v[99]);
            }
        }
    }

    @Test
    void severalFilesWithoutIndexAreMerged() throws Exception {
        new SafetensorsWriter().addFloats("a", DType.F32, new long[]{1}, new float[]{1}).write(dir.resolve("one.safetensors"));
        new SafetensorsWriter().addFloats("b", DType.BF16, new long[]{1}, new float[]{2}).write(dir.resolve("two.safetensors"));
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            assertEquals(2.0f, ckpt.tensor("b").getFloat(0));
            assertArrayEquals(new float[]{1}, ckpt.tensor("a").toFloatArray());
        }
        new SafetensorsWriter().addFloats("a", DType.F32, new long[]{1}, new float[]{3}).write(dir.resolve("three.safetensors"));
        assertMentions(assertThrows(CheckpointFormatException.class, () -> Checkpoint.open(dir)).getMessage(),
                "tensor 'a' is also in", "duplicate");
    }

    @Test
    void indexErrorsNameTheTensorAndShard() throws Exception {
        ShardedCheckpointWriter.write(dir, tensors(3), 500);
        Path index = dir.resolve("model.safetensors.index.json");
        String original = Files.readString(index);

        Files.writeString(index, original.replace("model-00003-of-00003", "model-00009-of-00003"));
        assertMentions(assertThrows(CheckpointFormatException.class, () -> Checkpoint.open(dir)).getMessage(),
                "model.safetensors.index.json", "layer.2.weight", "does not exist");

        Files.writeString(index, original.replace("\"layer.2.weight\" : \"model-00003", "\"layer.2.weight\" : \"model-00001"));
        assertMentions(assertThrows(CheckpointFormatException.class, () -> Checkpoint.open(dir)).getMessage(),
                "layer.2.weight", "that shard has no such tensor");

        Files.writeString(index, original.replace("\"model-00003-of-00003.safetensors\"", "\"../../etc/passwd\""));
        assertMentions(assertThrows(CheckpointFormatException.class, () -> Checkpoint.open(dir)).getMessage(),
                "not a file name inside the checkpoint directory");

        Files.writeString(index, "{\"metadata\": {}}");
        assertMentions(assertThrows(CheckpointFormatException.class, () -> Checkpoint.open(dir)).getMessage(),
                "missing 'weight_map'");

        Files.writeString(index, "{\"weight_map\": {\"x\": ");
        assertMentions(assertThrows(CheckpointFormatException.class, () -> Checkpoint.open(dir)).getMessage(),
                "model.safetensors.index.json", "not valid JSON");
    }

    @Test
    void missingTensorIsReportedByName() throws Exception {
        new SafetensorsWriter().addFloats("a", DType.F32, new long[]{1}, new float[]{1}).write(dir.resolve("m.safetensors"));
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            assertMentions(assertThrows(CheckpointFormatException.class, () -> ckpt.tensor("model.norm.weight")).getMessage(),
                    "missing tensor 'model.norm.weight'");
        }
    }
}
