package dev.mod4j.cli;

import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.config.LlamaConfig;
import dev.mod4j.loaders.layout.CheckpointLayout;
import dev.mod4j.loaders.layout.ModelFiles;
import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.loaders.safetensors.LoadMode;
import dev.mod4j.loaders.synthetic.ModelCache;
import dev.mod4j.loaders.synthetic.RandomModelSpec;
import dev.mod4j.loaders.synthetic.RandomModelWriter;
import dev.mod4j.runtime.accounting.FlopsConvention;
import dev.mod4j.runtime.accounting.GammaModLayerMode;
import dev.mod4j.runtime.accounting.ModelShape;
import dev.mod4j.runtime.accounting.ProgressiveRatioDecay;
import dev.mod4j.runtime.compare.ScheduleRun;
import dev.mod4j.runtime.cpu.CpuBackend;
import dev.mod4j.runtime.cpu.Parallel;
import dev.mod4j.runtime.generate.GenerationResult;
import dev.mod4j.runtime.model.Session;
import dev.mod4j.runtime.model.LlamaModel;
import dev.mod4j.runtime.prompt.PromptRows;
import dev.mod4j.runtime.schedule.DartSchedule;
import dev.mod4j.runtime.schedule.DenseSchedule;
import dev.mod4j.runtime.schedule.DivPruneSchedule;
import dev.mod4j.runtime.schedule.FastVSchedule;
import dev.mod4j.runtime.schedule.GammaModSchedule;
import dev.mod4j.runtime.schedule.PModRouters;
import dev.mod4j.runtime.schedule.PModSchedule;
import dev.mod4j.runtime.schedule.PyramidDropSchedule;
import dev.mod4j.runtime.schedule.SparseVlmSchedule;
import dev.mod4j.runtime.schedule.TokenSchedule;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;

/**
 * {@code mod4j bench-schedules}: does saved compute become saved time? Prefill of a LLaVA-1.5-7B-shaped decoder stack
 * (hidden 4096, MLP 11008, 32 heads; random weights; 576 image rows + text) under each schedule, measured time
 * relative to dense next to the FLOPs ratio. Routers are random and held in memory (no router checkpoint needed): the
 * point is the cost of the token counts each method produces, not the quality of its choices.
 */
@Command(name = "bench-schedules", mixinStandardHelpOptions = true,
        description = "Prefill time vs FLOPs ratio per schedule on a LLaVA-7B-shaped decoder stack (random weights).")
final class ScheduleBenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    Mod4j.CommonOptions common;

    @Option(names = "--layers", defaultValue = "8", paramLabel = "N",
            description = "Decoder layers of the 7B shape to stack (32 is the full model). Default: ${DEFAULT-VALUE}.")
    int layers;

    @Option(names = "--image-tokens", defaultValue = "576", paramLabel = "N")
    int imageTokens;

    @Option(names = "--dtype", defaultValue = "BF16", paramLabel = "DTYPE")
    String dtype;

    @Option(names = "--repeats", defaultValue = "3", paramLabel = "N",
            description = "Rounds: each schedule timed once per round, order rotated. Default: ${DEFAULT-VALUE}.")
    int repeats;

    @Option(names = "--threads", paramLabel = "N")
    Integer threads;

    @Option(names = "--cache-dir", paramLabel = "DIR")
    Path cacheDir;

    @Option(names = "--retained", split = ",", paramLabel = "N,...",
            description = "Also run the image-reducing methods at these retained image-token counts (e.g."
                    + " 192,128,64): FastV, DivPrune, DART and VisionZip's decoder (a prompt of N image rows; the"
                    + " tower is not part of this benchmark) keep N image tokens; SparseVLM (192, 128, 96 or 64)"
                    + " its released per-layer counts, averaging N over 32 layers, and PyramidDrop the same counts.")
    int[] retained = new int[0];

    @Option(names = "--shape", defaultValue = "llava7b", paramLabel = "NAME",
            description = "llava7b (LLaVA-1.5-7B's layers: hidden 4096, MLP 11008, 32 heads) or tiny (hidden 64, MLP"
                    + " 176, 4 heads: a smoke test of the command). Default: ${DEFAULT-VALUE}.")
    String shapeName;

    @Option(names = "--json", description = "Print the results as JSON (docs/schemas/bench-schedules.schema.json).")
    boolean json;

    @Option(names = "--only", split = ",", paramLabel = "METHOD,...",
            description = "Time only the schedules whose name starts with one of these (e.g. gmod,pdrop); dense always"
                    + " runs, as the baseline of every round.")
    List<String> only = List.of();

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (threads != null) {
            Parallel.setCommonThreads(ModelOptions.checkThreads(threads));
        }
        LlamaConfig config = switch (shapeName) {
            case "llava7b" -> new LlamaConfig(32000, 4096, 11008, layers, 32, 32, 128, "silu", 4096, 1e-5, 10000.0,
                    null, false, 1, List.of(2), null, false, false, "bfloat16");
            case "tiny" -> new LlamaConfig(32000, 64, 176, layers, 4, 4, 16, "silu", 4096, 1e-5, 10000.0,
                    null, false, 1, List.of(2), null, false, false, "bfloat16");
            default -> throw new InvalidInputException("--shape", "expected llava7b or tiny, got '" + shapeName + "'");
        };
        DType weights = DType.fromHeaderName(dtype.toUpperCase()).orElseThrow();
        Path dir = ensureModel(cacheDir != null ? cacheDir : ModelCache.defaultRoot(), config, weights);
        try (LlamaModel model = LlamaModel.load(ModelFiles.open(dir, null, LoadMode.COPY), CpuBackend::of)) {
            PromptRows prompt = prompt(config.hiddenSize());
            Map<String, TokenSchedule> schedules = schedules(config);
            ModelShape shape = ModelShape.of(config);
            if (!json) {
                out.printf("mod4j bench-schedules: %d layers of the %s shape, %s weights, prompt %d rows (%d image),"
                        + " %d threads%n", layers, shapeName.equals("tiny") ? "tiny" : "LLaVA-1.5-7B", weights,
                        prompt.length(), imageTokens, Parallel.common().threads());
                out.printf("%-44s %12s %11s %12s %12s %10s %s%n", "schedule", "prefill ms", "time ratio", "FLOPs ratio",
                        "time/FLOPs", "img/layer", "time ratio range");
            }
            Session session = model.newSession(prompt.length());
            session.prefill(prompt, null); // JIT warm-up, not timed
            // Rounds: every schedule once per round, the order rotated each round so no schedule is always first;
            // a schedule's time ratio is the median over rounds of its time over dense's time in the same round, so
            // the machine's drift between rounds cancels (same-run ratios).
            List<String> names = new ArrayList<>(schedules.keySet());
            if (!only.isEmpty()) {
                names.removeIf(n -> !n.equals("dense") && only.stream().noneMatch(n::startsWith));
                if (names.size() == 1) {
                    throw new InvalidInputException("--only", "no schedule of this run starts with " + only
                            + "; they are " + schedules.keySet());
                }
            }
            int rounds = Math.max(1, repeats);
            Map<String, double[]> millis = new LinkedHashMap<>();
            Map<String, ScheduleRun> runs = new HashMap<>();
            names.forEach(n -> millis.put(n, new double[rounds]));
            for (int round = 0; round < rounds; round++) {
                for (int j = 0; j < names.size(); j++) {
                    String name = names.get((j + round) % names.size());
                    PromptRows input = input(name, prompt, config);
                    session.reset();
                    session.schedule(schedules(config).get(name));
                    long t0 = System.nanoTime();
                    session.prefill(input, null);
                    long elapsed = System.nanoTime() - t0;
                    millis.get(name)[round] = elapsed / 1e6;
                    runs.put(name, new ScheduleRun(name, new GenerationResult(new int[0], new int[0], false, elapsed, 0),
                            session.trace().copy(), session.trace().prefillMacs(), session.trace().totalMacs(),
                            session.kvCacheEntries(), session.kvCacheBytes()));
                }
            }
            List<Map<String, Object>> rows = new ArrayList<>();
            double[] dense = millis.get(names.getFirst());
            double denseMacs = runs.get(names.getFirst()).prefillFlops(FlopsConvention.EXACT, shape).denseTotal();
            for (String name : names) {
                ScheduleRun run = runs.get(name);
                double[] ms = millis.get(name);
                double[] ratios = new double[rounds];
                for (int i = 0; i < rounds; i++) {
                    ratios[i] = ms[i] / dense[i];
                }
                double timeRatio = median(ratios);
                // A schedule run on the full prompt: the ratio of the same run's dense count; VisionZip's shorter
                // prompt: against dense's prompt.
                double flopsRatio = !rebuildsPrompt(name)
                        ? run.prefillFlops(FlopsConvention.EXACT, shape).ratioToDense()
                        : (double) run.prefillMacs() / denseMacs;
                double imageRowsPerLayer = run.trace().prefill().stream()
                        .mapToInt(r -> r.processed(dev.mod4j.runtime.prompt.TokenRole.IMAGE)).average().orElse(0);
                if (json) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("schedule", name);
                    row.put("prefill_ms", median(ms));
                    row.put("prefill_ms_min", Arrays.stream(ms).min().orElseThrow());
                    row.put("prefill_ms_max", Arrays.stream(ms).max().orElseThrow());
                    row.put("time_ratio_to_dense", timeRatio);
                    row.put("time_ratio_to_dense_min", Arrays.stream(ratios).min().orElseThrow());
                    row.put("time_ratio_to_dense_max", Arrays.stream(ratios).max().orElseThrow());
                    row.put("prefill_macs", run.prefillMacs());
                    row.put("prefill_macs_ratio_to_dense", flopsRatio);
                    row.put("time_ratio_over_macs_ratio", timeRatio / flopsRatio);
                    row.put("image_rows_per_layer", imageRowsPerLayer);
                    rows.add(row);
                    continue;
                }
                out.printf("%-44s %12.0f %10.1f%% %11.1f%% %12.3f %10.1f %s%n", name, median(ms), 100 * timeRatio,
                        100 * flopsRatio, timeRatio / flopsRatio, imageRowsPerLayer, spread(ratios));
                out.flush();
            }
            if (json) {
                Map<String, Object> root = new LinkedHashMap<>();
                root.put("shape", shapeName);
                root.put("layers", layers);
                root.put("dtype", weights.name());
                root.put("prompt_rows", prompt.length());
                root.put("image_tokens", imageTokens);
                root.put("threads", Parallel.common().threads());
                root.put("rounds", rounds);
                root.put("schedules", rows);
                JsonOutput.print(out, root);
                return 0;
            }
            out.println("prefill ms: median over " + rounds + " rounds (order rotated each round); time ratio: median"
                    + " of the per-round ratios to dense, [min–max] beside; FLOPs ratio: exact multiply-adds of the"
                    + " prefill (layers + LM head) relative to dense; img/layer: image rows processed per layer,"
                    + " averaged over the stack's layers.");
        }
        return 0;
    }

    /** VisionZip's rows come out of the tower: here its decoder runs a prompt of that many image rows. */
    private PromptRows input(String name, PromptRows prompt, LlamaConfig config) {
        return rebuildsPrompt(name)
                ? prompt(config.hiddenSize(), Integer.parseInt(name.replaceAll(".*rows=(\\d+).*", "$1"))) : prompt;
    }

    private static boolean rebuildsPrompt(String name) {
        return name.startsWith("visionzip");
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static String spread(double[] ratios) {
        if (ratios.length < 2) {
            return "";
        }
        return String.format(java.util.Locale.ROOT, "[%.1f–%.1f%%]", 100 * Arrays.stream(ratios).min().orElse(0),
                100 * Arrays.stream(ratios).max().orElse(0));
    }

    private PromptRows prompt(int hidden) {
        return prompt(hidden, imageTokens);
    }

    /** 35 system tokens, the image rows (random vectors of embedding scale), 25 instruction tokens. */
    private PromptRows prompt(int hidden, int imageTokens) {
        SplittableRandom random = new SplittableRandom(11);
        int[] ids = new int[35 + 1 + 25];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = 3 + random.nextInt(31000);
        }
        ids[0] = 1;
        ids[35] = -200;
        float[] image = new float[imageTokens * hidden];
        for (int i = 0; i < image.length; i++) {
            image[i] = (float) (random.nextDouble() * 2 - 1) * 0.05f;
        }
        return PromptRows.merge(ids, -200, List.of(image), imageTokens, hidden);
    }

    /** Each method at its released defaults, scaled to the stack's depth; fresh instances (schedules hold state). */
    private Map<String, TokenSchedule> schedules(LlamaConfig config) {
        int l = config.numHiddenLayers();
        Map<String, TokenSchedule> out = new LinkedHashMap<>();
        out.put("dense", new DenseSchedule());
        out.put("fastv:k=2;r=0.5", new FastVSchedule(2, 0.5));
        int[] quarters = IntStream.of(l / 4, l / 2, 3 * l / 4).filter(x -> x >= 1 && x < l).distinct().toArray();
        double[] ratios = Arrays.copyOf(new double[]{0.5, 0.25, 0.125}, quarters.length);
        PyramidDropSchedule pdrop = new PyramidDropSchedule(quarters, ratios);
        out.put(pdrop.spec(), pdrop);
        Set<Integer> modLayers = new TreeSet<>();
        Arrays.stream(GammaModLayerMode.ARANK_MOD.modLayers(l)).forEach(modLayers::add);
        SplittableRandom random = new SplittableRandom(5);
        float[] p = new float[8192];
        for (int i = 0; i < p.length; i++) {
            p[i] = (float) random.nextDouble();
        }
        out.put("gmod:skip=0.5 (random router)", new GammaModSchedule(modLayers,
                (layer, ctx) -> Arrays.copyOf(p, ctx.rows()), 0.5, GammaModSchedule.PREFILL_THRESHOLD,
                GammaModSchedule.DECODE_THRESHOLD));
        ProgressiveRatioDecay prd = ProgressiveRatioDecay.released(l);
        Map<Integer, Double> retention = new HashMap<>();
        List<Integer> prdLayers = new ArrayList<>();
        for (int layer : prd.modLayers()) {
            retention.put(layer, prd.effectiveRatio(layer));
            prdLayers.add(layer);
        }
        PModRouters routers = PModRouters.zero(prdLayers, config.hiddenSize());
        routers.weights().values().forEach(w -> {
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) (random.nextDouble() - 0.5) * 0.1f;
            }
        });
        out.put("pmod (random routers)", new PModSchedule(routers, retention, 0.2, 1.0, "pmod"));
        for (int n : retained) {
            // FastV: round(N_v·(1−R)) = n; DART: n picks (+ its 4 image pivots); VisionZip: n rows from the tower.
            double r = 1 - n / (double) imageTokens;
            out.put("fastv:k=2;r=" + String.format(java.util.Locale.ROOT, "%.4f", r), new FastVSchedule(2, r));
            out.put("divprune:keep=" + n, DivPruneSchedule.keeping(n));
            out.put("dart:layer=2;keep=" + n + ";pivots=4,4", new DartSchedule(2, n, 4, 4));
            out.put("visionzip (decoder only, rows=" + n + ")", new DenseSchedule());
            int[] budget = SparseVlmSchedule.RETAINED.get(n);
            if (budget != null) {
                // SparseVLM's released counts after 0-based layers 2, 6, 15 (the first layers of the 32-layer
                // schedule on a shorter stack); PyramidDrop with the same counts, so the two differ only in how
                // they rank and that SparseVLM merges.
                int[] at = Arrays.stream(SparseVlmSchedule.RELEASED_LAYERS).filter(x -> x < l - 1).toArray();
                int[] keep = Arrays.copyOf(budget, at.length);
                double[] kept = Arrays.stream(keep).mapToDouble(k -> (k + 0.5) / imageTokens).toArray();
                PyramidDropSchedule sameCounts = new PyramidDropSchedule(Arrays.stream(at).map(x -> x + 1).toArray(),
                        kept);
                out.put("pdrop (sparsevlm " + n + " counts) " + Arrays.toString(keep).replace(" ", ""), sameCounts);
                out.put("sparsevlm:retain=" + n + " " + Arrays.toString(keep).replace(" ", ""),
                        new SparseVlmSchedule(at, keep));
            }
        }
        return out;
    }

    private Path ensureModel(Path root, LlamaConfig config, DType dtype) {
        String name = "bench-" + shapeName + "-" + config.numHiddenLayers() + "layers-" + dtype.name().toLowerCase();
        return ModelCache.ensure(root, name, staging -> RandomModelWriter.write(new RandomModelSpec(config, null,
                CheckpointLayout.LLAMA, dtype, RandomModelSpec.Routers.NONE, List.of(), 4L << 30, 23, 0.02f), staging));
    }

}
