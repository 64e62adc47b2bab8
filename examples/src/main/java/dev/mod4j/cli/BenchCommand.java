package dev.mod4j.cli;

import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.config.LlamaConfig;
import dev.mod4j.loaders.layout.ModelFiles;
import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.loaders.safetensors.LoadMode;
import dev.mod4j.loaders.synthetic.ModelCache;
import dev.mod4j.runtime.cpu.CpuBackend;
import dev.mod4j.runtime.cpu.MemoryReadBandwidth;
import dev.mod4j.runtime.cpu.Parallel;
import dev.mod4j.runtime.weights.DecoderLayerWeights;
import dev.mod4j.runtime.model.LlamaModel;
import dev.mod4j.runtime.weights.LlamaWeights;
import dev.mod4j.runtime.model.Session;
import dev.mod4j.runtime.tensor.Linear;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/**
 * {@code mod4j bench}: prefill and decode throughput of the decoder on a random-weight model of a real shape,
 * written once into the cache directory (by a JVM of its own, so that the peak RSS measured is the benchmark's). A
 * program that prints a table, not a test.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure prefill and decode tokens/s on a random model of a real shape (written once to the cache).")
final class BenchCommand implements Callable<Integer> {
    /** How long each row decodes untimed before its timed steps: C2 compiles the large vector kernels in seconds. */
    private static final long WARM_UP_NANOS = 2_000_000_000L;

    @Spec
    CommandSpec spec;

    @Mixin
    Mod4j.CommonOptions common;

    @Option(names = "--shape", defaultValue = "tinyllama", paramLabel = "NAME",
            description = "tinyllama (hidden 2048, 22 layers, 32/4 heads, ffn 5632, vocab 32000), llava7b-4layers"
                    + " (LLaVA-1.5-7B's decoder shape with 4 of its 32 layers) or tiny (hidden 64, 2 layers: a smoke"
                    + " test of the command). Default: ${DEFAULT-VALUE}.")
    String shape;

    @Option(names = "--dtypes", split = ",", defaultValue = "F32,BF16", paramLabel = "LIST",
            description = "Weight dtypes to measure: F32, F16, BF16, Q8_0 (the BF16 model quantized at load, as"
                    + " --weights q8_0). Default: ${DEFAULT-VALUE}.")
    List<String> dtypes;

    @Option(names = "--load", split = ",", defaultValue = "mmap,copy", paramLabel = "LIST",
            description = "Load modes to measure (mmap, copy). Default: ${DEFAULT-VALUE}.")
    List<String> loads;

    @Option(names = "--prompt-tokens", defaultValue = "600", paramLabel = "N")
    int promptTokens;

    @Option(names = "--decode-tokens", defaultValue = "32", paramLabel = "N")
    int decodeTokens;

    @Option(names = "--repeats", defaultValue = "2", paramLabel = "N",
            description = "Prefill runs per configuration; the first warms the JIT, the best of the rest is reported.")
    int repeats;

    @Option(names = "--threads", paramLabel = "N")
    Integer threads;

    @Option(names = "--alternate", defaultValue = "0", paramLabel = "ROUNDS",
            description = "After the table, keep every configuration loaded and decode them in turn, ROUNDS times"
                    + " (the prompt, then --decode-tokens steps each; the order reversed every other round; one"
                    + " warm-up round first, not counted): each round's tokens/s and each configuration's same-round"
                    + " ratio to the first, with the median. Ratios measured this way hold on a machine whose speed"
                    + " drifts, and no configuration gains from a JVM warmed by the ones before it. Default: 0 (off).")
    int alternateRounds;

    @Option(names = "--cache-dir", paramLabel = "DIR", description = "Where the random models are written.")
    Path cacheDir;

    @Option(names = "--json", description = "Print the results as JSON (docs/schemas/bench.schema.json).")
    boolean json;

    static LlamaConfig shapeConfig(String name) {
        return switch (name) {
            case "tinyllama" -> new LlamaConfig(32000, 2048, 5632, 22, 32, 4, 64, "silu", 2048, 1e-5, 10000.0, null,
                    false, 1, List.of(2), null, false, false, "float32");
            case "llava7b-4layers" -> new LlamaConfig(32000, 4096, 11008, 4, 32, 32, 128, "silu", 4096, 1e-5, 10000.0,
                    null, false, 1, List.of(2), null, false, false, "float16");
            case "tiny" -> new LlamaConfig(512, 64, 176, 2, 4, 2, 16, "silu", 2048, 1e-5, 10000.0, null, false, 1,
                    List.of(2), null, false, false, "float32");
            default -> throw new InvalidInputException("--shape", "unknown shape '" + name
                    + "' (known: tinyllama, llava7b-4layers, tiny)");
        };
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        LlamaConfig config = shapeConfig(shape);
        if (threads != null) {
            Parallel.setCommonThreads(ModelOptions.checkThreads(threads));
        }
        Path root = cacheDir != null ? cacheDir : ModelCache.defaultRoot();
        if (decodeTokens < 3) {
            throw new InvalidInputException("--decode-tokens", "must be at least 3 (2 untimed steps, then the timed"
                    + " ones), got " + decodeTokens);
        }
        if (alternateRounds < 0) {
            throw new InvalidInputException("--alternate", "must be 0 or more rounds, got " + alternateRounds);
        }
        if (alternateRounds > 0 && configurationCount() < 2) {
            throw new InvalidInputException("--alternate", "needs at least 2 configurations (--dtypes times --load;"
                    + " Q8_0 is one, mapped), got " + configurationCount());
        }
        if (!json) {
            out.printf("mod4j bench: %s shape, %d-token prompt, %d decode steps, %d threads%n", shape, promptTokens,
                    decodeTokens, Parallel.common().threads());
            out.printf("%-6s %-5s %14s %14s %11s %11s %9s %11s %12s %12s%n", "dtype", "load", "prefill tok/s",
                    "decode tok/s", "decode GB/s", "read GB/s", "of read", "weights GB", "peak RSS GB", "RSS bound GB");
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        List<BenchConfiguration> configurations = new ArrayList<>();
        for (String dtypeName : dtypes) {
            DType dtype = DType.fromName(dtypeName).orElseThrow(() ->
                    new InvalidInputException("--dtypes", "unknown dtype '" + dtypeName + "'"));
            // Q8_0: the BF16 checkpoint, quantized at load (--weights q8_0).
            boolean quantized = dtype == DType.Q8_0;
            Path dir = BenchModelWriter.ensure(root, shape, quantized ? DType.BF16 : dtype);
            for (String asked : loads) {
                // Quantizing maps the checkpoint whatever --load says (as --weights q8_0 does): run it once.
                if (quantized && asked.equals("copy") && loads.contains("mmap")) {
                    continue;
                }
                String load = quantized ? "mmap" : asked;
                LoadMode mode = load.equals("copy") ? LoadMode.COPY : LoadMode.MMAP;
                configurations.add(new BenchConfiguration(dtype, load, dir, mode));
                System.gc();
                PeakResidentMemory.reset();
                try (LlamaModel model = LlamaModel.load(ModelFiles.open(dir, null, mode),
                        CpuBackend.quantizing(quantized ? dtype : null))) {
                    Session session = model.newSession(promptTokens + decodeTokens + 1);
                    double[] result = measure(session, model.config().vocabSize());
                    List<MemorySegment> decodeReads = decodeReads(model.backend().hostWeights());
                    long decodeBytes = decodeReads.stream().mapToLong(MemorySegment::byteSize).sum();
                    double readBandwidth = MemoryReadBandwidth.bytesPerSecond(decodeReads, Parallel.common(), 3);
                    double decodeBandwidth = result[1] * decodeBytes;
                    long weightBytes = model.files().language().tensorBytes();
                    if (quantized) {
                        // The checkpoint's BF16 projections are replaced by their Q8_0 copies.
                        weightBytes += decodeBytes - decodeReads.stream().mapToLong(m -> m.byteSize() * 2 * 32 / 34)
                                .sum();
                    }
                    // The issue-9 target: weights touched + KV cache + 300 MB (all weights are touched by a pass).
                    long boundBytes = weightBytes + session.kvCacheBytes() + (300L << 20);
                    OptionalLong peak = PeakResidentMemory.peakBytes();
                    if (json) {
                        Map<String, Object> row = new LinkedHashMap<>();
                        row.put("dtype", dtype.name());
                        row.put("load", load);
                        row.put("prefill_tokens_per_s", result[0]);
                        row.put("decode_tokens_per_s", result[1]);
                        row.put("decode_read_bytes_per_s", decodeBandwidth);
                        row.put("memory_read_bytes_per_s", readBandwidth);
                        row.put("decode_read_share_of_memory_read", decodeBandwidth / readBandwidth);
                        row.put("decode_read_bytes", decodeBytes);
                        row.put("weight_bytes", weightBytes);
                        row.put("peak_rss_bytes", peak.isPresent() ? peak.getAsLong() : null);
                        row.put("rss_bound_bytes", boundBytes);
                        rows.add(row);
                        continue;
                    }
                    out.printf("%-6s %-5s %14.1f %14.2f %11.1f %11.1f %8.0f%% %11.2f %12s %12.2f%n", dtype, load,
                            result[0], result[1], decodeBandwidth / 1e9, readBandwidth / 1e9,
                            100 * decodeBandwidth / readBandwidth, weightBytes / 1e9, gigabytes(peak),
                            boundBytes / 1e9);
                    out.flush();
                }
            }
        }
        Map<String, Object> alternating = alternateRounds > 0 ? alternate(configurations, out) : null;
        if (json) {
            Map<String, Object> document = new LinkedHashMap<>();
            document.put("shape", shape);
            document.put("prompt_tokens", promptTokens);
            document.put("decode_tokens", decodeTokens);
            document.put("repeats", repeats);
            document.put("threads", Parallel.common().threads());
            document.put("runs", rows);
            if (alternating != null) {
                document.put("alternating", alternating);
            }
            JsonOutput.print(out, document);
        }
        return 0;
    }

    /**
     * The weights one decode step streams: every layer's projections and the LM head (the embedding table is read
     * one row per token). Decode can be no faster than reading these bytes once.
     */
    private static List<MemorySegment> decodeReads(LlamaWeights weights) {
        List<MemorySegment> reads = new ArrayList<>();
        for (DecoderLayerWeights layer : weights.layers()) {
            for (Linear m : List.of(layer.qProj(), layer.kProj(), layer.vProj(), layer.oProj(),
                    layer.gateProj(), layer.upProj(), layer.downProj())) {
                reads.add(m.weight().data());
            }
        }
        reads.add(weights.lmHead().data());
        return reads;
    }

    private static String gigabytes(OptionalLong bytes) {
        return bytes.isPresent() ? String.format("%.2f", bytes.getAsLong() / 1e9) : "-";
    }

    /** The table's rows: each dtype with each load mode, Q8_0 once (it maps its checkpoint whatever --load says). */
    private int configurationCount() {
        int count = 0;
        for (String dtype : dtypes) {
            boolean quantized = dtype.equalsIgnoreCase("Q8_0");
            for (String load : loads) {
                if (!(quantized && load.equals("copy") && loads.contains("mmap"))) {
                    count++;
                }
            }
        }
        return count;
    }

    /** A dtype and load mode of the table, and the checkpoint it loads. */
    private record BenchConfiguration(DType dtype, String load, Path dir, LoadMode mode) {
        String label() {
            return dtype + " " + load;
        }
    }

    /**
     * {@code --alternate}: every configuration loaded at once, decoded in turn {@link #alternateRounds} times (ABBA
     * order), so that each round's ratio compares speeds measured within seconds of each other.
     */
    private Map<String, Object> alternate(List<BenchConfiguration> configurations, PrintWriter out) {
        int n = configurations.size();
        List<LlamaModel> models = new ArrayList<>();
        double[][] tokensPerSecond = new double[alternateRounds][n];
        try {
            List<Session> sessions = new ArrayList<>();
            for (BenchConfiguration c : configurations) {
                LlamaModel model = LlamaModel.load(ModelFiles.open(c.dir(), null, c.mode()),
                        CpuBackend.quantizing(c.dtype() == DType.Q8_0 ? DType.Q8_0 : null));
                models.add(model);
                sessions.add(model.newSession(promptTokens + decodeTokens + 1));
            }
            int vocab = models.getFirst().config().vocabSize();
            for (Session session : sessions) {
                decodeRate(session, vocab); // a warm-up round, not counted: the JIT compiles every kernel first
            }
            if (!json) {
                out.printf("alternating decode, %d rounds (tokens/s; ratio to %s in the same round):%n",
                        alternateRounds, configurations.getFirst().label());
            }
            for (int round = 0; round < alternateRounds; round++) {
                for (int k = 0; k < n; k++) {
                    int i = round % 2 == 0 ? k : n - 1 - k;
                    tokensPerSecond[round][i] = decodeRate(sessions.get(i), vocab);
                }
                if (!json) {
                    StringBuilder line = new StringBuilder(String.format("round %d:", round + 1));
                    for (int i = 0; i < n; i++) {
                        line.append(String.format("  %s %.2f", configurations.get(i).label(),
                                tokensPerSecond[round][i]));
                        if (i > 0) {
                            line.append(String.format(" (%.2f×)", tokensPerSecond[round][i]
                                    / tokensPerSecond[round][0]));
                        }
                    }
                    out.println(line);
                    out.flush();
                }
            }
        } finally {
            for (LlamaModel model : models) {
                model.close();
            }
        }
        Map<String, Object> result = new LinkedHashMap<>();
        List<Object> labels = new ArrayList<>();
        for (BenchConfiguration c : configurations) {
            labels.add(Map.of("dtype", c.dtype().name(), "load", c.load()));
        }
        result.put("configurations", labels);
        List<Object> rounds = new ArrayList<>();
        for (double[] round : tokensPerSecond) {
            List<Double> values = new ArrayList<>();
            for (double v : round) {
                values.add(v);
            }
            rounds.add(values);
        }
        result.put("decode_tokens_per_s", rounds);
        List<Double> medians = new ArrayList<>();
        StringBuilder summary = new StringBuilder("median same-round ratio to " + configurations.getFirst().label()
                + ":");
        for (int i = 0; i < n; i++) {
            double[] ratios = new double[alternateRounds];
            for (int round = 0; round < alternateRounds; round++) {
                ratios[round] = tokensPerSecond[round][i] / tokensPerSecond[round][0];
            }
            Arrays.sort(ratios);
            double median = alternateRounds % 2 == 1 ? ratios[alternateRounds / 2]
                    : (ratios[alternateRounds / 2 - 1] + ratios[alternateRounds / 2]) / 2;
            medians.add(median);
            if (i > 0) {
                summary.append(String.format("  %s %.2f× (%.2f–%.2f)", configurations.get(i).label(), median,
                        ratios[0], ratios[alternateRounds - 1]));
            }
        }
        result.put("median_ratio_to_first", medians);
        if (!json) {
            out.println(summary);
            out.flush();
        }
        return result;
    }

    /** Decode tokens/s after the prompt, from a fresh context: 2 untimed steps, then the timed ones. */
    private double decodeRate(Session session, int vocab) {
        int[] prompt = new SplittableRandom(5).ints(promptTokens, 3, vocab).toArray();
        session.reset();
        session.prefill(prompt, null);
        int token = 7;
        for (int i = 0; i < 2; i++) {
            session.decode(token);
        }
        long t0 = System.nanoTime();
        for (int i = 0; i < decodeTokens - 2; i++) {
            session.decode(token);
        }
        return (decodeTokens - 2) / ((System.nanoTime() - t0) / 1e9);
    }

    /** {prefill tokens/s, decode tokens/s}. */
    private double[] measure(Session session, int vocab) {
        int[] prompt = new SplittableRandom(5).ints(promptTokens, 3, vocab).toArray();
        long bestPrefill = Long.MAX_VALUE;
        for (int i = 0; i < Math.max(1, repeats); i++) {
            session.reset();
            long t0 = System.nanoTime();
            session.prefill(prompt, null);
            long elapsed = System.nanoTime() - t0;
            if (i > 0 || repeats == 1) {
                bestPrefill = Math.min(bestPrefill, elapsed);
            }
        }
        int token = 7;
        // Untimed passes of as many decode steps first (for at least WARM_UP_NANOS), then the prompt again: prefill
        // does not run the decode kernels (one row at a time), and without this the JIT compiled them during the
        // timed steps of the table's first row only, which then measured slower than the same JVM's later decodes.
        long warmUntil = System.nanoTime() + WARM_UP_NANOS;
        do {
            for (int i = 0; i < decodeTokens; i++) {
                session.decode(token);
            }
            session.reset();
            session.prefill(prompt, null);
        } while (System.nanoTime() < warmUntil);
        for (int i = 0; i < 2; i++) {
            session.decode(token); // warm-up steps, not timed
        }
        long t0 = System.nanoTime();
        for (int i = 0; i < decodeTokens - 2; i++) {
            session.decode(token);
        }
        long decode = System.nanoTime() - t0;
        return new double[]{promptTokens / (bestPrefill / 1e9), (decodeTokens - 2) / (decode / 1e9)};
    }
}
