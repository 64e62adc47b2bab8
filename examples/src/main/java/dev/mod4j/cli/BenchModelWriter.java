package dev.mod4j.cli;

import dev.mod4j.eval.StandardErrorTerminal;
import dev.mod4j.eval.TerminalProgress;
import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.config.LlamaConfig;
import dev.mod4j.loaders.layout.CheckpointLayout;
import dev.mod4j.loaders.progress.ProgressListener;
import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.loaders.synthetic.ModelCache;
import dev.mod4j.loaders.synthetic.RandomModelSpec;
import dev.mod4j.loaders.synthetic.RandomModelWriter;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes {@code mod4j bench}'s random models, in a JVM of its own: writing one fills the heap with gigabytes of
 * random floats that the JVM keeps resident afterwards, and a peak-RSS reset cannot go below what is resident, so a
 * model written in the benchmark's own process inflated the first run's peak RSS (6.59 GB against 2.41 on a rerun).
 */
final class BenchModelWriter {
    private static final String INCUBATOR_WARNING = "WARNING: Using incubator modules: jdk.incubator.vector";

    private BenchModelWriter() {
    }

    /** {@code root/name}: written by a child JVM with this one's options and class path, if it is not there yet. */
    static Path ensure(Path root, String shape, DType dtype) {
        Path dir = root.resolve(name(shape, dtype));
        if (Files.isRegularFile(dir.resolve("config.json"))) {
            return dir;
        }
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse(
                Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        // The child's standard error is a pipe to this JVM: it draws its progress on this one's terminal, if any.
        command.add("-D" + StandardErrorTerminal.TERMINAL_PROPERTY + "=" + StandardErrorTerminal.device());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), BenchModelWriter.class.getName(),
                root.toString(), shape, dtype.name()));
        try {
            Process child = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.INHERIT).start();
            try (BufferedReader err = new BufferedReader(new InputStreamReader(child.getErrorStream(),
                    StandardCharsets.UTF_8))) {
                // The child's messages pass through, without the JVM's start-up notice (bin/mod4j drops it too).
                for (String line; (line = err.readLine()) != null; ) {
                    if (!line.equals(INCUBATOR_WARNING)) {
                        System.err.println(line);
                    }
                }
            }
            int status = child.waitFor();
            if (status != 0 || !Files.isRegularFile(dir.resolve("config.json"))) {
                throw new InvalidInputException(dir.toString(), "writing the random benchmark model failed (exit "
                        + status + ")");
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start a JVM to write " + dir, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while writing " + dir, e);
        }
    }

    static String name(String shape, DType dtype) {
        LlamaConfig config = BenchCommand.shapeConfig(shape);
        return "bench-" + config.hiddenSize() + "x" + config.numHiddenLayers() + "-" + dtype.name().toLowerCase();
    }

    /** Arguments: cache root, shape name, dtype name. */
    public static void main(String[] args) {
        Path root = Path.of(args[0]);
        LlamaConfig config = BenchCommand.shapeConfig(args[1]);
        DType dtype = DType.valueOf(args[2]);
        String name = name(args[1], dtype);
        ScopedValue.where(ProgressListener.CURRENT, TerminalProgress.forStandardError(null)).run(() ->
                ModelCache.ensure(root, name, staging -> RandomModelWriter.write(new RandomModelSpec(config, null,
                        CheckpointLayout.LLAMA, dtype, RandomModelSpec.Routers.NONE, List.of(), 4L << 30, 17, 0.02f),
                        staging)));
    }
}
