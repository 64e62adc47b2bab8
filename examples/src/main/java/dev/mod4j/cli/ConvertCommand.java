package dev.mod4j.cli;

import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.safetensors.Checkpoint;
import dev.mod4j.loaders.safetensors.LoadMode;
import dev.mod4j.loaders.safetensors.SafetensorsWriter;
import dev.mod4j.loaders.safetensors.ShardedCheckpointWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

import static dev.mod4j.report.ComparisonTable.bytes;

/**
 * {@code mod4j convert --model DIR --out DIR}: a checkpoint's weights (PyTorch pickles or safetensors, sharded or
 * not, with {@code mm_projector.bin}) rewritten as sharded safetensors with an index, beside copies of its
 * configuration and tokenizer files, for a model that starts by mapping its files instead of reading pickles.
 */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = "Write a model directory's weights as sharded safetensors (+ model.safetensors.index.json),"
                + " copying its config, tokenizer and other non-weight files.")
final class ConvertCommand implements Callable<Integer> {
    /** HF's save_pretrained default shard size. */
    static final long DEFAULT_SHARD_BYTES = 5_000_000_000L;

    @Spec
    CommandSpec spec;

    @Mixin
    Mod4j.CommonOptions common;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "The model directory to convert.")
    Path model;

    @Option(names = "--out", required = true, paramLabel = "DIR",
            description = "Where to write (created; must be empty if it exists).")
    Path out;

    @Option(names = "--max-shard-bytes", paramLabel = "N", defaultValue = "" + DEFAULT_SHARD_BYTES,
            description = "Tensor bytes per shard at most (a larger tensor gets a shard of its own). Default: ${DEFAULT-VALUE}.")
    long maxShardBytes;

    @Override
    public Integer call() throws IOException {
        if (maxShardBytes < 1) {
            throw new InvalidInputException("--max-shard-bytes", "must be positive, got " + maxShardBytes);
        }
        if (!Files.isDirectory(model)) {
            throw new InvalidInputException("--model", model + " is not a directory");
        }
        if (Files.exists(out)) {
            try (Stream<Path> entries = Files.list(out)) {
                if (!Files.isDirectory(out) || entries.findAny().isPresent()) {
                    throw new InvalidInputException("--out", out + " exists and is not an empty directory");
                }
            }
        }
        Files.createDirectories(out);
        PrintWriter stdout = spec.commandLine().getOut();
        try (Checkpoint checkpoint = Checkpoint.open(model, LoadMode.MMAP)) {
            List<SafetensorsWriter.TensorData> tensors = new ArrayList<>();
            for (String name : checkpoint.tensorNames()) {
                tensors.add(SafetensorsWriter.TensorData.of(checkpoint.tensor(name)));
            }
            List<Path> written = ShardedCheckpointWriter.write(out, tensors, maxShardBytes);
            List<Path> copied = copyOtherFiles(model, out);
            stdout.printf("wrote %d tensors (%s) into %d safetensors shard(s) + index, copied %d other file(s): %s%n",
                    tensors.size(), bytes(checkpoint.tensorBytes()), written.size() - 1, copied.size(),
                    copied.stream().map(p -> p.getFileName().toString()).toList());
        }
        return 0;
    }

    /** Every regular file of {@code from} that holds no weights (config, tokenizer, preprocessor, templates ...). */
    private static List<Path> copyOtherFiles(Path from, Path to) throws IOException {
        List<Path> copied = new ArrayList<>();
        try (Stream<Path> entries = Files.list(from)) {
            for (Path file : entries.sorted().toList()) {
                String name = file.getFileName().toString();
                if (!Files.isRegularFile(file) || isWeights(name)) {
                    continue;
                }
                try {
                    copied.add(Files.copy(file, to.resolve(name), StandardCopyOption.COPY_ATTRIBUTES));
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot copy " + file, e);
                }
            }
        }
        return copied;
    }

    private static boolean isWeights(String name) {
        return name.endsWith(".safetensors") || name.endsWith(".bin") || name.endsWith(".pt")
                || name.endsWith(".pth") || name.endsWith(".ckpt") || name.endsWith(".safetensors.index.json")
                || name.endsWith(".bin.index.json");
    }
}
