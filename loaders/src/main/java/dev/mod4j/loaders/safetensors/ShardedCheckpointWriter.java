package dev.mod4j.loaders.safetensors;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a sharded checkpoint as HuggingFace does: {@code model-00001-of-0000N.safetensors} files of at most
 * {@code maxShardBytes} of tensor data each (a larger tensor gets a shard of its own), and
 * {@code model.safetensors.index.json} with {@code metadata.total_size} and {@code weight_map}.
 */
public final class ShardedCheckpointWriter {
    private ShardedCheckpointWriter() {
    }

    public static List<Path> write(Path directory, List<SafetensorsWriter.TensorData> tensors, long maxShardBytes) {
        List<List<SafetensorsWriter.TensorData>> shards = new ArrayList<>();
        List<SafetensorsWriter.TensorData> current = new ArrayList<>();
        long currentBytes = 0;
        for (SafetensorsWriter.TensorData t : tensors) {
            if (!current.isEmpty() && currentBytes + t.byteSize() > maxShardBytes) {
                shards.add(current);
                current = new ArrayList<>();
                currentBytes = 0;
            }
            current.add(t);
            currentBytes += t.byteSize();
        }
        if (!current.isEmpty()) {
            shards.add(current);
        }
        ObjectNode index = JsonNodeFactory.instance.objectNode();
        index.putObject("metadata").put("total_size", tensors.stream().mapToLong(SafetensorsWriter.TensorData::byteSize).sum());
        ObjectNode weightMap = index.putObject("weight_map");
        List<Path> written = new ArrayList<>();
        for (int s = 0; s < shards.size(); s++) {
            String fileName = String.format("model-%05d-of-%05d.safetensors", s + 1, shards.size());
            SafetensorsWriter writer = new SafetensorsWriter().metadata("format", "pt");
            for (SafetensorsWriter.TensorData t : shards.get(s)) {
                writer.add(t);
                weightMap.put(t.name(), fileName);
            }
            Path file = directory.resolve(fileName);
            writer.write(file);
            written.add(file);
        }
        try {
            Path indexFile = directory.resolve("model.safetensors.index.json");
            Files.writeString(indexFile, index.toPrettyString());
            written.add(indexFile);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return written;
    }
}
