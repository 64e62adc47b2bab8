package dev.mod4j.tornado.bench;

import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.config.ClipVisionConfig;
import dev.mod4j.loaders.config.LlamaConfig;
import dev.mod4j.loaders.config.LlavaHrConfig;
import dev.mod4j.loaders.config.MiniGeminiConfig;
import dev.mod4j.loaders.layout.CheckpointLayout;
import dev.mod4j.loaders.layout.ModelFiles;
import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.loaders.safetensors.LoadMode;
import dev.mod4j.loaders.synthetic.ModelCache;
import dev.mod4j.loaders.synthetic.RandomModelSpec;
import dev.mod4j.loaders.synthetic.RandomModelWriter;
import dev.mod4j.runtime.accounting.ExactMacs;
import dev.mod4j.runtime.accounting.ModelShape;
import dev.mod4j.runtime.backend.Backend;
import dev.mod4j.runtime.backend.HighResolutionEncoder;
import dev.mod4j.runtime.backend.ModelParts;
import dev.mod4j.runtime.backend.RotaryEmbedding;
import dev.mod4j.runtime.backend.VisionEncoder;
import dev.mod4j.runtime.backend.VisionParts;
import dev.mod4j.runtime.cpu.CpuBackend;
import dev.mod4j.runtime.cpu.CpuVisionEncoder;
import dev.mod4j.runtime.cpu.MemoryReadBandwidth;
import dev.mod4j.runtime.cpu.Parallel;
import dev.mod4j.runtime.model.LlamaModel;
import dev.mod4j.runtime.model.Session;
import dev.mod4j.runtime.prompt.PromptRows;
import dev.mod4j.runtime.schedule.DenseSchedule;
import dev.mod4j.runtime.schedule.PyramidDropSchedule;
import dev.mod4j.runtime.schedule.TokenSchedule;
import dev.mod4j.runtime.tensor.Linear;
import dev.mod4j.runtime.tensor.WeightMatrix;
import dev.mod4j.runtime.vision.ClipVisionTower;
import dev.mod4j.runtime.weights.ClipLayerWeights;
import dev.mod4j.runtime.weights.ClipVisionWeights;
import dev.mod4j.runtime.weights.ConvNextWeights;
import dev.mod4j.runtime.weights.MultiPathFusionWeights;
import dev.mod4j.runtime.weights.PatchInfoMiningWeights;
import dev.mod4j.runtime.weights.DecoderLayerWeights;
import dev.mod4j.runtime.weights.LlamaWeights;
import dev.mod4j.tornado.Devices;
import dev.mod4j.tornado.TornadoBackend;
import dev.mod4j.tornado.TornadoRuntimeAvailability;
import dev.mod4j.tornado.WeightPrecision;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.TornadoDeviceType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.IntStream;

/**
 * The GPU benchmark ({@code bench/gpu/run}): on one TornadoVM device and, for scale, on the CPU backend of the same
 * machine, with random weights of real shapes: decode GB/s against the card's memory bandwidth and prefill TFLOP/s
 * (TinyLlama-1.1B and LLaVA-1.5-7B's decoder with {@code --layers} of its 32 layers, F16 weights where the device has
 * fp16), the LLaVA-7B-shaped prefill of a 576-image-row prompt under dense and PyramidDrop (rounds alternating the
 * two, ratio of the same round's times), and the CLIP ViT-L/14-336 tower's time per image (device and CPU
 * alternating). Every section prints a table and adds it to {@code OUT/gpu-bench.json}; a section that fails is
 * recorded and the run goes on. Models go through the same code a user's run does: {@code LlamaModel.load} on a
 * checkpoint written once by {@link RandomModelWriter}, {@code Session.prefill/decode}, the schedules' classes.
 */
public final class GpuBenchmark {
    /** The goals (#26). */
    static final double DECODE_BANDWIDTH_GOAL = 0.60;
    static final double PDROP_SPEEDUP_GOAL = 1.8;

    private final Options options;
    private final BenchShapes shapes;
    private final BenchReport report;
    private final TornadoDevice device;
    private final Devices.DeviceInfo deviceInfo;
    private final DType weights;
    /** The card's memory bandwidth the decode goal is measured against, bytes/s; NaN when unknown. */
    private final double deviceBandwidth;
    private final String bandwidthSource;

    /** Command-line options; see {@code bench/gpu/run --help}. */
    record Options(Path out, Path cacheDir, String deviceId, double bandwidthGbs, String bandwidthSource, int layers,
                   boolean smoke, int promptTokens, int decodeTokens, int rounds, String weights, boolean cpu,
                   Set<String> sections) {
        static Options parse(String[] args) {
            Path out = null;
            Path cache = null;
            String deviceId = null;
            double bandwidth = Double.NaN;
            String source = "--bandwidth-gbs";
            Integer layers = null;
            boolean smoke = false;
            Integer prompt = null;
            Integer decode = null;
            int rounds = 3;
            String weights = "auto";
            boolean cpu = true;
            Set<String> sections = new HashSet<>(List.of("decode", "schedules", "vision", "hr-vision"));
            for (Iterator<String> it = Arrays.asList(args).iterator(); it.hasNext(); ) {
                String a = it.next();
                switch (a) {
                    case "--out" -> out = Path.of(value(a, it));
                    case "--cache-dir" -> cache = Path.of(value(a, it));
                    case "--device" -> deviceId = value(a, it);
                    case "--bandwidth-gbs" -> bandwidth = number(a, value(a, it));
                    case "--bandwidth-source" -> source = value(a, it);
                    case "--layers" -> layers = (int) number(a, value(a, it));
                    case "--smoke" -> smoke = true;
                    case "--prompt" -> prompt = (int) number(a, value(a, it));
                    case "--decode" -> decode = (int) number(a, value(a, it));
                    case "--rounds" -> rounds = (int) number(a, value(a, it));
                    case "--weights" -> weights = value(a, it);
                    case "--no-cpu" -> cpu = false;
                    case "--sections" -> sections = new HashSet<>(List.of(value(a, it).split(",")));
                    default -> throw new InvalidInputException(a, "unknown option (see bench/gpu/run --help)");
                }
            }
            if (out == null) {
                throw new InvalidInputException("--out", "missing: the directory for gpu-bench.json");
            }
            if (!List.of("auto", "f16", "f32").contains(weights)) {
                throw new InvalidInputException("--weights", "expected auto, f16 or f32, got '" + weights + "'");
            }
            for (String s : sections) {
                if (!List.of("decode", "schedules", "vision", "hr-vision").contains(s)) {
                    throw new InvalidInputException("--sections", "unknown section '" + s
                            + "' (known: decode, schedules, vision, hr-vision)");
                }
            }
            int l = layers != null ? layers : smoke ? 4 : 8;
            if (l < 1 || l > 32 || rounds < 1) {
                throw new InvalidInputException(l < 1 || l > 32 ? "--layers" : "--rounds",
                        "out of range (layers 1-32, rounds >= 1)");
            }
            int p = prompt != null ? prompt : smoke ? 32 : 512;
            int d = decode != null ? decode : smoke ? 8 : 64;
            if (p < 1 || d < 3) {
                throw new InvalidInputException(p < 1 ? "--prompt" : "--decode", "too small (prompt >= 1, decode >= 3)");
            }
            return new Options(out, cache != null ? cache : out.resolve("models"), deviceId, bandwidth, source, l,
                    smoke, p, d, rounds, weights, cpu, sections);
        }

        private static String value(String option, Iterator<String> it) {
            if (!it.hasNext()) {
                throw new InvalidInputException(option, "needs a value");
            }
            return it.next();
        }

        private static double number(String option, String value) {
            try {
                return Double.parseDouble(value);
            } catch (NumberFormatException e) {
                throw new InvalidInputException(option, "'" + value + "' is not a number");
            }
        }
    }

    private GpuBenchmark(Options options) {
        this.options = options;
        this.shapes = options.smoke() ? BenchShapes.smoke(options.layers()) : BenchShapes.real(options.layers());
        this.report = new BenchReport(System.out, options.out().resolve("gpu-bench.json"));
        TornadoRuntimeAvailability.require();
        this.device = Devices.select(options.deviceId());
        this.deviceInfo = Devices.list().stream()
                .filter(d -> d.name().equals(device.getPhysicalDevice().getDeviceName())
                        && d.id().startsWith(device.getBackendIndex() + ":"))
                .findFirst().orElse(null);
        boolean fp16 = deviceInfo != null && deviceInfo.halfFloat();
        this.weights = switch (options.weights()) {
            case "f16" -> DType.F16;
            case "f32" -> DType.F32;
            default -> fp16 ? DType.F16 : DType.F32;
        };
        boolean cpuDevice = device.getDeviceType() == TornadoDeviceType.CPU;
        if (!Double.isNaN(options.bandwidthGbs())) {
            deviceBandwidth = options.bandwidthGbs() * 1e9;
            bandwidthSource = options.bandwidthSource();
        } else if (cpuDevice) {
            // An OpenCL CPU device (PoCL) reads the host's memory: its ceiling is what the host cores can read.
            deviceBandwidth = hostReadBandwidth();
            bandwidthSource = "measured host read (OpenCL CPU device)";
        } else {
            deviceBandwidth = Double.NaN;
            bandwidthSource = "unknown: pass --bandwidth-gbs";
        }
    }

    public static void main(String[] args) {
        try {
            Options options = Options.parse(args);
            new GpuBenchmark(options).run();
        } catch (InvalidInputException | TornadoRuntimeAvailability.TornadoUnavailableException e) {
            System.err.println("gpu-bench: " + e.getMessage());
            System.exit(2);
        }
    }

    private void run() {
        Map<String, Object> machine = new LinkedHashMap<>();
        machine.put("device", deviceInfo != null ? deviceInfo.toString() : device.getPhysicalDevice().getDeviceName());
        machine.put("device_type", device.getDeviceType().name());
        machine.put("device_fp16", deviceInfo != null && deviceInfo.halfFloat());
        machine.put("device_global_memory_bytes", device.getMaxGlobalMemory());
        machine.put("device_bandwidth_gbs", Double.isNaN(deviceBandwidth) ? null : deviceBandwidth / 1e9);
        machine.put("device_bandwidth_source", bandwidthSource);
        machine.put("cpu_threads", Parallel.common().threads());
        machine.put("jvm", Runtime.version().toString());
        machine.put("weights", weights.name());
        report.put("machine", machine);
        report.put("options", Map.of("layers", options.layers(), "smoke", options.smoke(), "prompt_tokens",
                options.promptTokens(), "decode_tokens", options.decodeTokens(), "rounds", options.rounds(),
                "cpu", options.cpu()));
        report.line("mod4j GPU benchmark%s: device %s; %s weights; device bandwidth %s GB/s (%s); CPU backend on %d"
                        + " threads; JVM %s", options.smoke() ? " (smoke shapes)" : "", machine.get("device"),
                weights, BenchReport.format(deviceBandwidth / 1e9, 0), bandwidthSource, Parallel.common().threads(),
                Runtime.version());
        report.write();
        long t0 = System.nanoTime();
        if (options.sections().contains("decode")) {
            section("decode", this::decodeAndPrefill);
        }
        if (options.sections().contains("schedules")) {
            section("schedules", this::denseVersusPyramidDrop);
        }
        if (options.sections().contains("vision")) {
            section("vision", this::visionTower);
        }
        if (options.sections().contains("hr-vision")) {
            section("hr-vision", this::highResolutionVision);
        }
        report.printGoals();
        report.line("%ngpu-bench: done in %.0f s; JSON: %s", (System.nanoTime() - t0) / 1e9,
                options.out().resolve("gpu-bench.json"));
        report.write();
    }

    private void section(String name, Runnable body) {
        long t0 = System.nanoTime();
        try {
            body.run();
            report.line("(%s: %.0f s)", name, (System.nanoTime() - t0) / 1e9);
        } catch (RuntimeException | OutOfMemoryError e) {
            report.failed(name, e);
        }
    }

    // ---- decode GB/s and prefill TFLOP/s ----

    private void decodeAndPrefill() {
        // Both checkpoints are written at once (one thread each: generating random weights is most of the time).
        List<BenchShapes.Decoder> decoders = List.of(shapes.small(), shapes.large());
        List<Path> dirs = decoders.parallelStream().map(this::ensureModel).toList();
        Map<BenchShapes.Decoder, Path> models = new LinkedHashMap<>();
        for (int i = 0; i < decoders.size(); i++) {
            models.put(decoders.get(i), dirs.get(i));
        }
        BenchReport.Table table = report.table("decode_prefill", String.format(java.util.Locale.ROOT,
                        "Decode and prefill (%d-token prompt, then %d decode steps; random weights, checkpoint %s)",
                        options.promptTokens(), options.decodeTokens(), weights),
                3, "model", "backend", "weights on device", "prefill ms", "prefill TFLOP/s", "decode tok/s",
                "decode GB/s", "of bandwidth", "goal");
        for (BenchShapes.Decoder shape : models.keySet()) {
            Path dir = models.get(shape);
            List<String> backends = options.cpu() ? List.of("device", "cpu") : List.of("device");
            for (String which : backends) {
                boolean onDevice = which.equals("device");
                try (LlamaModel model = LlamaModel.load(ModelFiles.open(dir, null, LoadMode.MMAP),
                        onDevice ? deviceFactory() : CpuBackend::of)) {
                    LlamaConfig c = model.config();
                    Session session = model.newSession(options.promptTokens() + options.decodeTokens() + 1);
                    int[] prompt = new SplittableRandom(5).ints(options.promptTokens(), 3, c.vocabSize()).toArray();
                    double prefillMillis = Double.MAX_VALUE;
                    for (int i = 0; i < 3; i++) { // the first run compiles (JIT, device kernels); best of the rest
                        session.reset();
                        long t0 = System.nanoTime();
                        session.prefill(prompt, null);
                        double ms = (System.nanoTime() - t0) / 1e6;
                        if (i > 0) {
                            prefillMillis = Math.min(prefillMillis, ms);
                        }
                    }
                    int warmup = 2;
                    for (int i = 0; i < warmup; i++) {
                        session.decode(7);
                    }
                    int steps = options.decodeTokens() - warmup;
                    long t0 = System.nanoTime();
                    for (int i = 0; i < steps; i++) {
                        session.decode(7);
                    }
                    double stepSeconds = (System.nanoTime() - t0) / 1e9 / steps;
                    ModelShape s = ModelShape.of(c);
                    double prefillFlops = 2.0 * (c.numHiddenLayers() * (double) ExactMacs.layerMacs(s,
                            options.promptTokens(), ExactMacs.causalVisibleKeys(0, options.promptTokens()))
                            + ExactMacs.lmHeadMacs(s, 1));
                    int meanCacheLength = options.promptTokens() + warmup + steps / 2;
                    String precision = onDevice ? ((TornadoBackend) model.backend()).weightPrecision().name()
                            : "host " + weights;
                    double bytesPerStep = onDevice
                            ? deviceDecodeBytes(c, ((TornadoBackend) model.backend()).weightPrecision(), meanCacheLength)
                            : cpuDecodeBytes(model, meanCacheLength);
                    double bandwidth = bytesPerStep / stepSeconds;
                    double ceiling = onDevice ? deviceBandwidth : hostReadBandwidth();
                    double fraction = bandwidth / ceiling;
                    String goal = onDevice && !Double.isNaN(fraction)
                            ? (fraction >= DECODE_BANDWIDTH_GOAL ? "met (>= 60%)" : "missed (< 60%)") : "-";
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("model", shape.name());
                    row.put("backend", model.backend().name());
                    row.put("on_device", onDevice);
                    row.put("weights_on_device", precision);
                    row.put("prompt_tokens", options.promptTokens());
                    row.put("prefill_ms", prefillMillis);
                    row.put("prefill_tflops", prefillFlops / (prefillMillis / 1e3) / 1e12);
                    row.put("decode_tokens_per_s", 1 / stepSeconds);
                    row.put("decode_bytes_per_token", bytesPerStep);
                    row.put("decode_gbs", bandwidth / 1e9);
                    row.put("bandwidth_gbs", Double.isNaN(ceiling) ? null : ceiling / 1e9);
                    row.put("decode_fraction_of_bandwidth", Double.isNaN(fraction) ? null : fraction);
                    row.put("decode_goal_met", onDevice && !Double.isNaN(fraction) ? fraction >= DECODE_BANDWIDTH_GOAL
                            : null);
                    if (onDevice) {
                        report.goal("decode of " + shape.name() + " >= 60% of the device's memory bandwidth",
                                BenchReport.format(bandwidth / 1e9, 1) + " GB/s of "
                                        + BenchReport.format(ceiling / 1e9, 0) + " GB/s ("
                                        + (Double.isNaN(fraction) ? "-" : BenchReport.format(100 * fraction, 0)) + "%)",
                                Double.isNaN(fraction) ? null : fraction >= DECODE_BANDWIDTH_GOAL);
                    }
                    table.row(List.of(shape.name(), onDevice ? "device" : "cpu (" + Parallel.common().threads()
                                    + " threads)", precision, BenchReport.format(prefillMillis, 1),
                            BenchReport.significant(prefillFlops / (prefillMillis / 1e3) / 1e12),
                            BenchReport.format(1 / stepSeconds, 1), BenchReport.format(bandwidth / 1e9, 1),
                            Double.isNaN(fraction) ? "-" : BenchReport.format(100 * fraction, 0) + "%", goal), row);
                }
            }
        }
        report.line("decode GB/s: bytes a step reads (weight matrices and lm_head at the precision they are held in,"
                + " plus keys and values at the mean cache length) times steps/s; of bandwidth: against the device's"
                + " (%s), for the CPU against the same run's host read bandwidth; prefill TFLOP/s: exact"
                + " multiply-adds x 2 of the layers and one lm_head row.", bandwidthSource);
    }

    /** Bytes a device decode step reads: matrices at the device precision, lm_head, and the KV cache (float32). */
    private static double deviceDecodeBytes(LlamaConfig c, WeightPrecision precision, int cacheLength) {
        double d = c.hiddenSize();
        double perLayer = d * c.qDim() + 2 * d * c.kvDim() + c.qDim() * d + 3 * d * c.intermediateSize();
        double elements = perLayer * c.numHiddenLayers() + (double) c.vocabSize() * d;
        double kv = 2.0 * c.numHiddenLayers() * cacheLength * c.kvDim() * Float.BYTES;
        return elements * (precision == WeightPrecision.F16 ? 2 : 4) + kv;
    }

    /** Bytes a CPU decode step reads: the backend's own projections and lm_head, and the KV cache. */
    private static double cpuDecodeBytes(LlamaModel model, int cacheLength) {
        LlamaConfig c = model.config();
        double bytes = 0;
        for (MemorySegment m : decodeReads(model.backend().hostWeights())) {
            bytes += m.byteSize();
        }
        return bytes + 2.0 * c.numHiddenLayers() * cacheLength * c.kvDim() * Float.BYTES;
    }

    /** The weights one decode step streams (as {@code mod4j bench} counts them). */
    private static List<MemorySegment> decodeReads(LlamaWeights weights) {
        List<MemorySegment> reads = new ArrayList<>();
        for (DecoderLayerWeights layer : weights.layers()) {
            for (Linear m : List.of(layer.qProj(), layer.kProj(), layer.vProj(), layer.oProj(), layer.gateProj(),
                    layer.upProj(), layer.downProj())) {
                reads.add(m.weight().data());
            }
        }
        reads.add(weights.lmHead().data());
        return reads;
    }

    private double hostBandwidth = Double.NaN;

    /** The host's read bandwidth (a 1 GiB buffer, 256 MiB for smoke shapes), measured once per run. */
    private double hostReadBandwidth() {
        if (Double.isNaN(hostBandwidth)) {
            try (Arena arena = Arena.ofShared()) {
                MemorySegment buffer = arena.allocate(options.smoke() ? 256L << 20 : 1L << 30, 64);
                buffer.fill((byte) 1);
                hostBandwidth = MemoryReadBandwidth.bytesPerSecond(List.of(buffer), Parallel.common(), 5);
            }
        }
        return hostBandwidth;
    }

    // ---- dense vs PyramidDrop ----

    private void denseVersusPyramidDrop() {
        BenchShapes.Decoder shape = shapes.large();
        Path dir = ensureModel(shape);
        BenchReport.Table table = report.table("pdrop_vs_dense", String.format(java.util.Locale.ROOT,
                        "Prefill of a LLaVA-shaped prompt (%d image rows + %d text) on %s: dense vs PyramidDrop, %d"
                                + " rounds alternating", shapes.imageTokens(), shapes.textTokens(), shape.name(),
                        options.rounds()),
                1, "backend", "dense ms", "pdrop ms", "speed-up (dense/pdrop)", "per-round range", "goal");
        List<String> backends = options.cpu() ? List.of("device", "cpu") : List.of("device");
        for (String which : backends) {
            boolean onDevice = which.equals("device");
            try (LlamaModel model = LlamaModel.load(ModelFiles.open(dir, null, LoadMode.MMAP),
                    onDevice ? deviceFactory() : CpuBackend::of)) {
                LlamaConfig c = model.config();
                PromptRows prompt = llavaPrompt(c.hiddenSize());
                Session session = model.newSession(prompt.length());
                String pdropSpec = pyramidDrop(c.numHiddenLayers()).spec();
                session.prefill(prompt, null); // warm-up: JIT and device kernels, not timed
                session.reset();
                session.schedule(pyramidDrop(c.numHiddenLayers()));
                session.prefill(prompt, null);
                double[] dense = new double[options.rounds()];
                double[] pdrop = new double[options.rounds()];
                double[] speedups = new double[options.rounds()];
                for (int round = 0; round < options.rounds(); round++) {
                    // The order alternates each round, so neither schedule always runs first.
                    boolean denseFirst = round % 2 == 0;
                    for (int k = 0; k < 2; k++) {
                        boolean isDense = (k == 0) == denseFirst;
                        session.reset();
                        session.schedule(isDense ? new DenseSchedule() : pyramidDrop(c.numHiddenLayers()));
                        long t0 = System.nanoTime();
                        session.prefill(prompt, null);
                        double ms = (System.nanoTime() - t0) / 1e6;
                        (isDense ? dense : pdrop)[round] = ms;
                    }
                    speedups[round] = dense[round] / pdrop[round];
                }
                double speedup = median(speedups);
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("model", shape.name());
                row.put("backend", model.backend().name());
                row.put("on_device", onDevice);
                row.put("prompt_rows", prompt.length());
                row.put("image_rows", shapes.imageTokens());
                row.put("pdrop", pdropSpec);
                row.put("dense_ms", dense);
                row.put("pdrop_ms", pdrop);
                row.put("speedup_median", speedup);
                row.put("speedup_per_round", speedups);
                row.put("goal_met", onDevice ? speedup >= PDROP_SPEEDUP_GOAL : null);
                if (onDevice) {
                    report.goal("PyramidDrop prefill >= 1.8x faster than dense (" + shape.name() + ", "
                                    + prompt.length() + " rows)", BenchReport.format(speedup, 2) + "x",
                            speedup >= PDROP_SPEEDUP_GOAL);
                }
                table.row(List.of(onDevice ? "device" : "cpu (" + Parallel.common().threads() + " threads)",
                        BenchReport.format(median(dense), 1), BenchReport.format(median(pdrop), 1),
                        BenchReport.format(speedup, 2) + "x",
                        BenchReport.format(Arrays.stream(speedups).min().orElse(0), 2) + "-"
                                + BenchReport.format(Arrays.stream(speedups).max().orElse(0), 2),
                        onDevice ? (speedup >= PDROP_SPEEDUP_GOAL ? "met (>= 1.8x)" : "missed (< 1.8x)") : "-"), row);
            }
        }
        report.line("%s: PyramidDrop at a quarter, half and three quarters of the stack keeping 1/2, 1/4, 1/8 of the"
                + " image rows (its released 8/16/24 of 32 with lambda 0.5, scaled to the stack as bench-schedules"
                + " does); speed-up: median of the same round's dense/pdrop time.", pyramidDrop(
                shapes.large().config().numHiddenLayers()).spec());
    }

    /** PyramidDrop's released stages (layers 8, 16, 24 of 32, λ = 0.5) scaled to {@code layers}, as bench-schedules. */
    static PyramidDropSchedule pyramidDrop(int layers) {
        int[] quarters = IntStream.of(layers / 4, layers / 2, 3 * layers / 4).filter(x -> x >= 1 && x < layers)
                .distinct().toArray();
        if (quarters.length == 0) {
            throw new InvalidInputException("--layers", "PyramidDrop needs a stack of at least 2 layers");
        }
        return new PyramidDropSchedule(quarters, Arrays.copyOf(new double[]{0.5, 0.25, 0.125}, quarters.length));
    }

    /** A LLaVA-1.5 prompt: BOS and system tokens, the image rows (random, embedding scale), the instruction. */
    private PromptRows llavaPrompt(int hidden) {
        SplittableRandom random = new SplittableRandom(11);
        int system = shapes.textTokens() * 7 / 12;
        int[] ids = new int[shapes.textTokens() + 1];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = 3 + random.nextInt(400);
        }
        ids[0] = 1;
        ids[system] = -200;
        float[] image = new float[shapes.imageTokens() * hidden];
        for (int i = 0; i < image.length; i++) {
            image[i] = (float) (random.nextDouble() * 2 - 1) * 0.05f;
        }
        return PromptRows.merge(ids, -200, List.of(image), shapes.imageTokens(), hidden);
    }

    // ---- the vision tower ----

    private void visionTower() {
        ClipVisionConfig c = shapes.tower();
        DType towerWeights = weights;
        int used = c.numHiddenLayers() - 1; // LLaVA takes hidden state -2
        int tokens = c.patchCount() + 1;
        BenchReport.Table table = report.table("vision", String.format(java.util.Locale.ROOT,
                        "Vision tower (%d x %d px, %d tokens, %d of %d layers, %s weights), one image, device and CPU"
                                + " alternating, medians of %d rounds", c.imageSize(), c.imageSize(), tokens, used,
                        c.numHiddenLayers(), towerWeights, Math.max(3, options.rounds())),
                1, "backend", "ms per image", "TFLOP/s", "range ms");
        // A one-layer decoder stands beside the tower: the backend is built from a model's parts.
        LlamaConfig decoder = RandomModelSpec.tinyLlama(256, 64, 128, 1, 4, 4);
        try (Arena arena = Arena.ofShared();
             TornadoBackend backend = new TornadoBackend(new ModelParts(decoder, tinyDecoder(decoder, arena),
                     new RotaryEmbedding(decoder, "gpu-bench"), new VisionParts(c, tower(c, towerWeights, arena, 3),
                     null)), device, false)) {
            ClipVisionTower onDevice = new ClipVisionTower(c, backend.vision());
            ClipVisionTower onCpu = options.cpu() ? new ClipVisionTower(c, new CpuVisionEncoder(
                    new VisionParts(c, tower(c, towerWeights, arena, 3), null), Parallel.common())) : null;
            float[][] image = {new float[3 * c.imageSize() * c.imageSize()]};
            SplittableRandom random = new SplittableRandom(9);
            for (int i = 0; i < image[0].length; i++) {
                image[0][i] = (float) random.nextDouble() * 2 - 1;
            }
            onDevice.hiddenStates(image, -2); // warm-up: kernels compiled, weights uploaded
            if (onCpu != null) {
                onCpu.hiddenStates(image, -2);
            }
            int rounds = Math.max(3, options.rounds());
            double[] deviceMillis = new double[rounds];
            double[] cpuMillis = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                long t0 = System.nanoTime();
                onDevice.hiddenStates(image, -2);
                long t1 = System.nanoTime();
                if (onCpu != null) {
                    onCpu.hiddenStates(image, -2);
                }
                long t2 = System.nanoTime();
                deviceMillis[r] = (t1 - t0) / 1e6;
                cpuMillis[r] = (t2 - t1) / 1e6;
            }
            int h = c.hiddenSize();
            int m = c.intermediateSize();
            int patch = c.numChannels() * c.patchSize() * c.patchSize();
            // As bench-vision counts: the linears, attention's two products, the patch embedding.
            double flops = 2 * ((double) tokens * used * (4.0 * h * h + 2.0 * h * m) + 2.0 * tokens * tokens * h * used
                    + (double) c.patchCount() * patch * h);
            for (int k = 0; k < (onCpu != null ? 2 : 1); k++) {
                double[] ms = k == 0 ? deviceMillis : cpuMillis;
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("backend", k == 0 ? backend.name() : "cpu");
                row.put("on_device", k == 0);
                row.put("ms_per_image", median(ms));
                row.put("tflops", flops / (median(ms) / 1e3) / 1e12);
                row.put("ms_per_round", ms);
                table.row(List.of(k == 0 ? "device" : "cpu (" + Parallel.common().threads() + " threads)",
                        BenchReport.format(median(ms), 1), BenchReport.significant(flops / (median(ms) / 1e3) / 1e12),
                        BenchReport.format(Arrays.stream(ms).min().orElse(0), 1) + "-"
                                + BenchReport.format(Arrays.stream(ms).max().orElse(0), 1)), row);
            }
        }
    }

    // ---- γ-MoD's dual-encoder towers ----

    /**
     * LLaVA-HR-7B's tower (ConvNeXt-L on 1024 px, CLIP-L/14 at 448 px in four groups with MR-adapters, fusion) and
     * Mini-Gemini-HD-7B's (CLIP-L/14-336 over five views, ConvNeXt-L on 1536 px, patch info mining), one image each,
     * device and CPU alternating, as {@code bench-vision --arch llava-hr / mgm-hd} builds them (random weights of
     * the real shapes; {@code --smoke}: small widths and depths, same code paths).
     */
    private void highResolutionVision() {
        boolean smoke = options.smoke();
        ClipVisionConfig clip = smoke ? RandomModelSpec.tinyClip(64, 256, 4, 4, 336, 14)
                : ClipVisionConfig.CLIP_VIT_L_14_336;
        int[] depths = smoke ? new int[]{1, 1, 2, 1} : new int[]{3, 3, 27, 3};
        int[] widths = smoke ? new int[]{16, 32, 64, 128} : new int[]{192, 384, 768, 1536};
        LlavaHrConfig hr = new LlavaHrConfig("convnext_large_mlp.clip_laion2b_ft_320", smoke ? 768 : 1024, true);
        MiniGeminiConfig mgm = new MiniGeminiConfig("openclip-convnext-large-d-320", smoke ? 768 : 1536, 2, true);
        int rounds = Math.max(3, options.rounds());
        BenchReport.Table table = report.table("hr_vision", String.format(java.util.Locale.ROOT,
                        "Dual-encoder towers (ConvNeXt depths %s widths %s, CLIP %d layers of %d; %s weights), one"
                                + " image, device and CPU alternating, medians of %d rounds", Arrays.toString(depths),
                        Arrays.toString(widths), clip.numHiddenLayers(), clip.hiddenSize(), weights, rounds),
                2, "model", "backend", "ms per image", "range ms");
        LlamaConfig decoder = RandomModelSpec.tinyLlama(256, 64, 128, 1, 4, 4);
        int index = clip.numHiddenLayers() - 1; // mm_vision_select_layer -2
        int auxWidth = Arrays.stream(widths).sum();
        try (Arena arena = Arena.ofShared();
             TornadoBackend backend = new TornadoBackend(new ModelParts(decoder, tinyDecoder(decoder, arena),
                     new RotaryEmbedding(decoder, "gpu-bench"), new VisionParts(clip, tower(clip, weights, arena, 3),
                     null)), device, false)) {
            // The CPU's weights are a copy of the same random values: the CPU backend may rearrange its own.
            VisionEncoder cpuTower = options.cpu() ? new CpuVisionEncoder(new VisionParts(clip,
                    tower(clip, weights, arena, 3), null), Parallel.common()) : null;
            timeTower(table, "llava-hr", hr.inputImageSize(), rounds, backend.name(),
                    backend.vision().llavaHr(hr, convNext(depths, widths, arena, 5), fusion(clip, widths, arena)),
                    cpuTower == null ? null : cpuTower.llavaHr(hr, convNext(depths, widths, arena, 5),
                            fusion(clip, widths, arena)));
            timeTower(table, "mgm-hd", mgm.imageSizeAux(), rounds, backend.name(),
                    backend.vision().miniGemini(mgm, index, convNext(depths, widths, arena, 7),
                            mining(clip, auxWidth, arena)),
                    cpuTower == null ? null : cpuTower.miniGemini(mgm, index, convNext(depths, widths, arena, 7),
                            mining(clip, auxWidth, arena)));
        }
    }

    private ConvNextWeights convNext(int[] depths, int[] widths, Arena arena, long seed) {
        return HighResolutionBenchWeights.convNext(depths, widths, weights, arena, new SplittableRandom(seed));
    }

    private MultiPathFusionWeights fusion(ClipVisionConfig clip, int[] widths, Arena arena) {
        return HighResolutionBenchWeights.fusion(clip.hiddenSize(), widths[3], weights, arena,
                new SplittableRandom(6));
    }

    private PatchInfoMiningWeights mining(ClipVisionConfig clip, int auxWidth, Arena arena) {
        return HighResolutionBenchWeights.mining(clip.hiddenSize(), auxWidth, weights, arena,
                new SplittableRandom(8));
    }

    private static void timeTower(BenchReport.Table table, String model, int size, int rounds, String deviceName,
                                  HighResolutionEncoder onDevice, HighResolutionEncoder onCpu) {
        float[] image = new float[3 * size * size];
        SplittableRandom random = new SplittableRandom(9);
        for (int i = 0; i < image.length; i++) {
            image[i] = (float) random.nextDouble() * 2 - 1;
        }
        onDevice.features(image); // warm-up: kernels compiled, weights uploaded
        if (onCpu != null) {
            onCpu.features(image);
        }
        double[] deviceMillis = new double[rounds];
        double[] cpuMillis = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            long t0 = System.nanoTime();
            onDevice.features(image);
            long t1 = System.nanoTime();
            if (onCpu != null) {
                onCpu.features(image);
            }
            long t2 = System.nanoTime();
            deviceMillis[r] = (t1 - t0) / 1e6;
            cpuMillis[r] = (t2 - t1) / 1e6;
        }
        for (int k = 0; k < (onCpu != null ? 2 : 1); k++) {
            double[] ms = k == 0 ? deviceMillis : cpuMillis;
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("model", model);
            row.put("backend", k == 0 ? deviceName : "cpu");
            row.put("on_device", k == 0);
            row.put("image_side", size);
            row.put("feature_rows", onDevice.featureRows());
            row.put("ms_per_image", median(ms));
            row.put("ms_per_round", ms);
            table.row(List.of(model, k == 0 ? "device" : "cpu (" + Parallel.common().threads() + " threads)",
                    BenchReport.format(median(ms), 1), BenchReport.format(Arrays.stream(ms).min().orElse(0), 1) + "-"
                            + BenchReport.format(Arrays.stream(ms).max().orElse(0), 1)), row);
        }
    }

    /** A random CLIP tower of config {@code c} in memory (weights of {@code dtype}, scale as bench-vision's). */
    private static ClipVisionWeights tower(ClipVisionConfig c, DType dtype, Arena arena, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int h = c.hiddenSize();
        int m = c.intermediateSize();
        List<ClipLayerWeights> layers = new ArrayList<>();
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            layers.add(new ClipLayerWeights(ones(h), new float[h],
                    new Linear(matrix("q", h, h, dtype, arena, random), new float[h]),
                    new Linear(matrix("k", h, h, dtype, arena, random), new float[h]),
                    new Linear(matrix("v", h, h, dtype, arena, random), new float[h]),
                    new Linear(matrix("o", h, h, dtype, arena, random), new float[h]), ones(h), new float[h],
                    new Linear(matrix("fc1", m, h, dtype, arena, random), new float[m]),
                    new Linear(matrix("fc2", h, m, dtype, arena, random), new float[h])));
        }
        int patch = c.numChannels() * c.patchSize() * c.patchSize();
        return new ClipVisionWeights(new float[h], matrix("patch", h, patch, dtype, arena, random),
                new float[(c.patchCount() + 1) * h], ones(h), new float[h], layers);
    }

    /** The one-layer decoder the vision benchmark's backend is built with (never run). */
    private static LlamaWeights tinyDecoder(LlamaConfig c, Arena arena) {
        SplittableRandom random = new SplittableRandom(1);
        int d = c.hiddenSize();
        int f = c.intermediateSize();
        DecoderLayerWeights layer = new DecoderLayerWeights(0, ones(d),
                new Linear(matrix("q_proj", c.qDim(), d, DType.F32, arena, random), null),
                new Linear(matrix("k_proj", c.kvDim(), d, DType.F32, arena, random), null),
                new Linear(matrix("v_proj", c.kvDim(), d, DType.F32, arena, random), null),
                new Linear(matrix("o_proj", d, c.qDim(), DType.F32, arena, random), null), ones(d),
                new Linear(matrix("gate_proj", f, d, DType.F32, arena, random), null),
                new Linear(matrix("up_proj", f, d, DType.F32, arena, random), null),
                new Linear(matrix("down_proj", d, f, DType.F32, arena, random), null));
        return new LlamaWeights(matrix("embed_tokens", c.vocabSize(), d, DType.F32, arena, random), List.of(layer),
                ones(d), matrix("lm_head", c.vocabSize(), d, DType.F32, arena, random));
    }

    private static WeightMatrix matrix(String name, int out, int in, DType dtype, Arena arena, SplittableRandom random) {
        float[] values = new float[out * in];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextDouble() - 0.5) * 0.05f;
        }
        return WeightMatrix.ofFloats(name, values, dtype, out, in, arena);
    }

    private static float[] ones(int n) {
        float[] a = new float[n];
        Arrays.fill(a, 1f);
        return a;
    }

    // ---- shared ----

    private Function<ModelParts, Backend> deviceFactory() {
        return parts -> new TornadoBackend(parts, device, false);
    }

    /** The random checkpoint of {@code shape} in the weights' dtype, written once into the cache directory. */
    private Path ensureModel(BenchShapes.Decoder shape) {
        String name = "gpu-bench-" + shape.name() + "-" + weights.name().toLowerCase(java.util.Locale.ROOT);
        return ModelCache.ensure(options.cacheDir(), name, staging -> {
            report.line("gpu-bench: writing a random %s %s checkpoint to %s (once) ...", weights, shape.name(),
                    options.cacheDir().resolve(name));
            RandomModelWriter.write(new RandomModelSpec(shape.config(), null, CheckpointLayout.LLAMA, weights,
                    RandomModelSpec.Routers.NONE, List.of(), 4L << 30, 17, 0.02f), staging);
        });
    }

    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
