package dev.mod4j.loaders.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mod4j.loaders.pytorch.PyTorchFile;

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
 * All tensors of a model directory: one file, several files, or a sharded set described by an index
 * ({@code model.safetensors.index.json}, {@code pytorch_model.bin.index.json}). Tensors are looked up by name across
 * the files. Files are safetensors or PyTorch zip checkpoints ({@link PyTorchFile}); a directory with safetensors files
 * is read from those alone, as HuggingFace does.
 *
 * <p>In a PyTorch directory, {@code mm_projector.bin} (LLaVA's projector, saved by its pretraining stage) only adds
 * tensors the model's own files lack: a finetuned LLaVA checkpoint holds the projector in its shards too, and those
 * are the finetuned weights. Other {@code *.bin} files (e.g. {@code training_args.bin}, a pickled Python object) are
 * not weights and are not opened.
 */
public final class Checkpoint implements AutoCloseable {
    /** Index files larger than this are refused (real ones are tens of kilobytes). */
    static final long MAX_INDEX_BYTES = dev.mod4j.loaders.FileLimit.CHECKPOINT_INDEX.maxBytes();

    private final Path directory;
    /** The files of a PyTorch checkpoint directory, when there is no index: one file or numbered shards. */
    static final java.util.regex.Pattern PYTORCH_WEIGHTS = java.util.regex.Pattern.compile(
            "pytorch_model(-\\d+-of-\\d+)?\\.bin");
    /** LLaVA's projector file: it only adds tensors the model files lack (see the class comment). */
    static final String MM_PROJECTOR = "mm_projector.bin";

    private final List<CheckpointFile> files;
    private final Map<String, CheckpointFile> fileOfTensor;

    private Checkpoint(Path directory, List<CheckpointFile> files, Map<String, CheckpointFile> fileOfTensor) {
        this.directory = directory;
        this.files = files;
        this.fileOfTensor = fileOfTensor;
    }

    public static Checkpoint open(Path directoryOrFile) {
        return open(directoryOrFile, LoadMode.MMAP);
    }

    /**
     * Opens a directory (an index, or every *.safetensors in it, or its PyTorch weight files) or a single
     * .safetensors or PyTorch file.
     */
    public static Checkpoint open(Path directoryOrFile, LoadMode mode) {
        if (Files.isRegularFile(directoryOrFile)) {
            String name = directoryOrFile.getFileName().toString();
            if (name.endsWith(".index.json")) {
                return openIndexed(directoryOrFile.toAbsolutePath().getParent(), directoryOrFile, mode);
            }
            return fromFiles(directoryOrFile.toAbsolutePath().getParent(), List.of(directoryOrFile), List.of(), mode);
        }
        if (!Files.isDirectory(directoryOrFile)) {
            if (Files.exists(directoryOrFile)) {
                FileBytes.checkRegularFile(directoryOrFile); // a FIFO or device: refused by what it is
            }
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
        if (!shards.isEmpty()) {
            return fromFiles(directoryOrFile, shards, List.of(), mode);
        }
        List<Path> projector = list(directoryOrFile, p -> p.getFileName().toString().equals(MM_PROJECTOR));
        List<Path> pytorchIndexes = list(directoryOrFile, p -> p.getFileName().toString().endsWith(".bin.index.json"));
        if (pytorchIndexes.size() > 1) {
            throw new CheckpointFormatException(directoryOrFile.toString(), "several PyTorch index files: "
                    + pytorchIndexes.stream().map(p -> p.getFileName().toString()).toList() + "; point mod4j at one of them");
        }
        if (pytorchIndexes.size() == 1) {
            Checkpoint indexed = openIndexed(directoryOrFile, pytorchIndexes.getFirst(), mode);
            return projector.isEmpty() ? indexed : indexed.supplementedBy(projector.getFirst(), mode);
        }
        List<Path> pytorch = list(directoryOrFile, p -> PYTORCH_WEIGHTS.matcher(p.getFileName().toString()).matches());
        if (!pytorch.isEmpty() || !projector.isEmpty()) {
            return fromFiles(directoryOrFile, pytorch, projector, mode);
        }
        throw new CheckpointFormatException(directoryOrFile.toString(), "no *.safetensors files or PyTorch weights ("
                + "pytorch_model*.bin, " + MM_PROJECTOR + ") in this directory");
    }

    private static Checkpoint openIndexed(Path directory, Path index, LoadMode mode) {
        String where = index.toString();
        JsonNode root;
        try {
            root = SafetensorsHeader.JSON.readTree(FileBytes.readWhole(index, MAX_INDEX_BYTES));
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
        Map<String, CheckpointFile> openFiles = new TreeMap<>();
        Map<String, CheckpointFile> fileOfTensor = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, String> e : shardOfTensor.entrySet()) {
                Path shardPath = directory.resolve(e.getValue());
                CheckpointFile file = openFiles.get(e.getValue());
                if (file == null) {
                    if (!Files.isRegularFile(shardPath)) {
                        throw new CheckpointFormatException(where, "weight_map['" + e.getKey() + "'] names shard '"
                                + e.getValue() + "', which does not exist");
                    }
                    file = openFile(shardPath, mode);
                    openFiles.put(e.getValue(), file);
                }
                if (!file.contains(e.getKey())) {
                    throw new CheckpointFormatException(where, "weight_map says tensor '" + e.getKey() + "' is in '"
                            + e.getValue() + "', but that shard has no such tensor");
                }
                fileOfTensor.put(e.getKey(), file);
            }
        } catch (RuntimeException e) {
            openFiles.values().forEach(CheckpointFile::close);
            throw e;
        }
        return new Checkpoint(directory, List.copyOf(openFiles.values()), Collections.unmodifiableMap(fileOfTensor));
    }

    /**
     * @param supplementary files whose tensors are used only where {@code paths} lack them (mm_projector.bin)
     */
    private static Checkpoint fromFiles(Path directory, List<Path> paths, List<Path> supplementary, LoadMode mode) {
        List<CheckpointFile> opened = new ArrayList<>();
        Map<String, CheckpointFile> fileOfTensor = new LinkedHashMap<>();
        try {
            for (Path p : paths) {
                CheckpointFile file = openFile(p, mode);
                opened.add(file);
                for (String name : file.tensorNames()) {
                    CheckpointFile previous = fileOfTensor.put(name, file);
                    if (previous != null) {
                        throw new CheckpointFormatException(p.toString(), "tensor '" + name + "' is also in "
                                + previous.path().getFileName() + " (duplicate tensor across files)");
                    }
                }
            }
            for (Path p : supplementary) {
                CheckpointFile file = openFile(p, mode);
                opened.add(file);
                file.tensorNames().forEach(name -> fileOfTensor.putIfAbsent(name, file));
            }
        } catch (RuntimeException e) {
            opened.forEach(CheckpointFile::close);
            throw e;
        }
        return new Checkpoint(directory, List.copyOf(opened), Collections.unmodifiableMap(fileOfTensor));
    }

    private Checkpoint supplementedBy(Path extra, LoadMode mode) {
        CheckpointFile file;
        try {
            file = openFile(extra, mode);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        Map<String, CheckpointFile> all = new LinkedHashMap<>(fileOfTensor);
        file.tensorNames().forEach(name -> all.putIfAbsent(name, file));
        List<CheckpointFile> allFiles = new ArrayList<>(files);
        allFiles.add(file);
        return new Checkpoint(directory, List.copyOf(allFiles), Collections.unmodifiableMap(all));
    }

    /** One file, by its name: safetensors, or a PyTorch checkpoint (.bin, .pt, .pth, .ckpt). */
    static CheckpointFile openFile(Path p, LoadMode mode) {
        String name = p.getFileName().toString();
        if (name.endsWith(".safetensors")) {
            return SafetensorsFile.open(p, mode);
        }
        if (isPyTorch(p)) {
            return PyTorchFile.open(p, mode);
        }
        throw new CheckpointFormatException(p.toString(), "not a .safetensors file or a PyTorch checkpoint"
                + " (.bin, .pt, .pth, .ckpt)");
    }

    static boolean isPyTorch(Path p) {
        String n = p.getFileName().toString();
        return n.endsWith(".bin") || n.endsWith(".pt") || n.endsWith(".pth") || n.endsWith(".ckpt");
    }

    private static List<Path> list(Path dir, java.util.function.Predicate<Path> filter) {
        try (Stream<Path> s = Files.list(dir)) {
            // Not only regular files: a FIFO or device under a weights name is refused by what it is when opened.
            return s.filter(p -> !Files.isDirectory(p)).filter(filter).sorted().toList();
        } catch (IOException e) {
            throw new CheckpointFormatException(dir.toString(), "cannot list directory: " + e.getMessage());
        }
    }

    public Path directory() {
        return directory;
    }

    public List<CheckpointFile> files() {
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

    private CheckpointFile fileOf(String name) {
        CheckpointFile f = fileOfTensor.get(name);
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
        files.forEach(CheckpointFile::close);
    }
}
