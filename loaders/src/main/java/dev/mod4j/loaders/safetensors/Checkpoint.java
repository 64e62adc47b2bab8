package dev.mod4j.loaders.safetensors;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * All safetensors tensors of a model directory: one file, several files, or a sharded set described by
 * {@code model.safetensors.index.json}. Tensors are looked up by name across the files.
 */
public final class Checkpoint implements AutoCloseable {
    /** Index files larger than this are refused (real ones are tens of kilobytes). */
    static final long MAX_INDEX_BYTES = 64L * 1024 * 1024;

    private final Path directory;
    private final List<SafetensorsFile> files;
    private final Map<String, SafetensorsFile> fileOfTensor;

    private Checkpoint(Path directory, List<SafetensorsFile> files, Map<String, SafetensorsFile> fileOfTensor) {
        this.directory = directory;
        this.files = files;
        this.fileOfTensor = fileOfTensor;
    }

    public static Checkpoint open(Path directoryOrFile) {
        return open(directoryOrFile, LoadMode.MMAP);
    }

    /** Opens a directory (index, or every *.safetensors in it) or a single .safetensors file. */
    public static Checkpoint open(Path directoryOrFile, LoadMode mode) {
        if (Files.isRegularFile(directoryOrFile)) {
            String name = directoryOrFile.getFileName().toString();
            if (name.endsWith(".index.json")) {
                return openIndexed(directoryOrFile.toAbsolutePath().getParent(), directoryOrFile, mode);
            }
            refuseIfPickle(directoryOrFile);
            return fromFiles(directoryOrFile.toAbsolutePath().getParent(), List.of(directoryOrFile), mode);
        }
        if (!Files.isDirectory(directoryOrFile)) {
            throw new CheckpointFormatException(directoryOrFile.toString(), "no such file or directory");
        }
        List<Path> indexes = list(directoryOrFile, p -> p.getFileName().toString().endsWith(".safetensors.index.json"));
        if (indexes.size() > 1) {
            throw new CheckpointFormatException(directoryOrFile.toString(), "several safetensors index files: "
                    + indexes.stream().map(p -> p.getFileName().toString()).toList() + "; point mod4j at one of them");
        }
        if (indexes.size() == 1) {
            return openIndexed(directoryOrFile, indexes.getFirst(), mode);
        }
        List<Path> shards = list(directoryOrFile, p -> p.getFileName().toString().endsWith(".safetensors"));
        if (shards.isEmpty()) {
            List<Path> pickles = list(directoryOrFile, Checkpoint::isPickle);
            if (!pickles.isEmpty()) {
                refuseIfPickle(pickles.getFirst());
            }
            throw new CheckpointFormatException(directoryOrFile.toString(), "no *.safetensors files in this directory");
        }
        return fromFiles(directoryOrFile, shards, mode);
    }

    private static Checkpoint openIndexed(Path directory, Path index, LoadMode mode) {
        String where = index.toString();
        JsonNode root;
        try {
            long size = Files.size(index);
            if (size > MAX_INDEX_BYTES) {
                throw new CheckpointFormatException(where, "index is " + size + " bytes, over the limit of " + MAX_INDEX_BYTES);
            }
            root = SafetensorsHeader.JSON.readTree(index.toFile());
        } catch (IOException e) {
            throw new CheckpointFormatException(where, "not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        JsonNode weightMap = root == null ? null : root.get("weight_map");
        if (weightMap == null || !weightMap.isObject()) {
            throw new CheckpointFormatException(where, "missing 'weight_map' object");
        }
        Map<String, String> shardOfTensor = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : weightMap.properties()) {
            if (!e.getValue().isTextual()) {
                throw new CheckpointFormatException(where, "weight_map['" + e.getKey() + "'] must be a file name, found "
                        + e.getValue().getNodeType());
            }
            String shard = e.getValue().asText();
            Path shardPath = directory.resolve(shard).normalize();
            if (shard.isEmpty() || !shardPath.startsWith(directory.normalize()) || shard.contains("/") || shard.contains("\\")) {
                throw new CheckpointFormatException(where, "weight_map['" + e.getKey() + "'] names '" + shard
                        + "', which is not a file name inside the checkpoint directory");
            }
            shardOfTensor.put(e.getKey(), shard);
        }
        Map<String, SafetensorsFile> openFiles = new TreeMap<>();
        Map<String, SafetensorsFile> fileOfTensor = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, String> e : shardOfTensor.entrySet()) {
                Path shardPath = directory.resolve(e.getValue());
                SafetensorsFile file = openFiles.get(e.getValue());
                if (file == null) {
                    if (!Files.isRegularFile(shardPath)) {
                        throw new CheckpointFormatException(where, "weight_map['" + e.getKey() + "'] names shard '"
                                + e.getValue() + "', which does not exist");
                    }
                    file = SafetensorsFile.open(shardPath, mode);
                    openFiles.put(e.getValue(), file);
                }
                if (!file.contains(e.getKey())) {
                    throw new CheckpointFormatException(where, "weight_map says tensor '" + e.getKey() + "' is in '"
                            + e.getValue() + "', but that shard has no such tensor");
                }
                fileOfTensor.put(e.getKey(), file);
            }
        } catch (RuntimeException e) {
            openFiles.values().forEach(SafetensorsFile::close);
            throw e;
        }
        return new Checkpoint(directory, List.copyOf(openFiles.values()), Collections.unmodifiableMap(fileOfTensor));
    }

    private static Checkpoint fromFiles(Path directory, List<Path> paths, LoadMode mode) {
        List<SafetensorsFile> opened = new ArrayList<>();
        Map<String, SafetensorsFile> fileOfTensor = new LinkedHashMap<>();
        try {
            for (Path p : paths) {
                SafetensorsFile file = SafetensorsFile.open(p, mode);
                opened.add(file);
                for (String name : file.tensorNames()) {
                    SafetensorsFile previous = fileOfTensor.put(name, file);
                    if (previous != null) {
                        throw new CheckpointFormatException(p.toString(), "tensor '" + name + "' is also in "
                                + previous.path().getFileName() + " (duplicate tensor across files)");
                    }
                }
            }
        } catch (RuntimeException e) {
            opened.forEach(SafetensorsFile::close);
            throw e;
        }
        return new Checkpoint(directory, List.copyOf(opened), Collections.unmodifiableMap(fileOfTensor));
    }

    static boolean isPickle(Path p) {
        String n = p.getFileName().toString();
        return n.endsWith(".bin") || n.endsWith(".pt") || n.endsWith(".pth") || n.endsWith(".ckpt") || n.endsWith(".pkl");
    }

    private static void refuseIfPickle(Path p) {
        if (isPickle(p)) {
            throw new CheckpointFormatException(p.toString(), "PyTorch pickle checkpoints are not loaded (unpickling can run"
                    + " arbitrary code); mod4j requires safetensors. Convert it, e.g. with"
                    + " transformers' save_pretrained(..., safe_serialization=True)");
        }
        if (!p.getFileName().toString().endsWith(".safetensors")) {
            throw new CheckpointFormatException(p.toString(), "not a .safetensors file");
        }
    }

    private static List<Path> list(Path dir, java.util.function.Predicate<Path> filter) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isRegularFile).filter(filter).sorted().toList();
        } catch (IOException e) {
            throw new CheckpointFormatException(dir.toString(), "cannot list directory: " + e.getMessage());
        }
    }

    public Path directory() {
        return directory;
    }

    public List<SafetensorsFile> files() {
        return files;
    }

    public Set<String> tensorNames() {
        return fileOfTensor.keySet();
    }

    public boolean contains(String name) {
        return fileOfTensor.containsKey(name);
    }

    public TensorInfo info(String name) {
        return fileOf(name).info(name);
    }

    public Tensor tensor(String name) {
        return fileOf(name).tensor(name);
    }

    private SafetensorsFile fileOf(String name) {
        SafetensorsFile f = fileOfTensor.get(name);
        if (f == null) {
            throw new CheckpointFormatException(directory.toString(), "missing tensor '" + name + "'");
        }
        return f;
    }

    /** Sum of the tensors' byte sizes (what the weights occupy, without headers). */
    public long tensorBytes() {
        return fileOfTensor.keySet().stream().mapToLong(n -> info(n).byteSize()).sum();
    }

    @Override
    public void close() {
        files.forEach(SafetensorsFile::close);
    }
}
