package dev.mod4j.tornado;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mod4j.loaders.config.LlamaConfig;
import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.runtime.accounting.ExactMacs;
import dev.mod4j.runtime.accounting.ModelShape;
import dev.mod4j.runtime.backend.Backend;
import dev.mod4j.runtime.backend.ModelParts;
import dev.mod4j.runtime.backend.ResidualStream;
import dev.mod4j.runtime.cpu.CpuBackend;
import dev.mod4j.runtime.weights.DecoderLayerWeights;
import dev.mod4j.runtime.backend.LayerKvCache;
import dev.mod4j.runtime.weights.LlamaWeights;
import dev.mod4j.runtime.backend.RotaryEmbedding;
import dev.mod4j.runtime.tensor.Linear;
import dev.mod4j.runtime.tensor.WeightMatrix;
import uk.ac.manchester.tornado.api.TornadoExecutionResult;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * One decoder layer of a real model's shape with random float32 weights, timed on the CPU backend and on the
 * TornadoVM device: a prefill of {@code --prompt} rows, then {@code --decode} one-row steps against the growing cache.
 * Prints a table of per-layer times (with GFLOP/s in prefill and weight+KV bandwidth in decode) and, for the device,
 * the kernel time of every task of the block graph from TornadoVM's profiler.
 *
 * <pre>
 * java @$TORNADOVM_HOME/tornado-argfile --add-modules jdk.incubator.vector -cp CLASSPATH \
 *     dev.mod4j.tornado.LayerBenchmark [--shapes tinyllama,llava7b] [--prompt 128] [--decode 16] [--device 0:0]
 * </pre>
 */
public final class LayerBenchmark {
    private LayerBenchmark() {
    }

    /** A layer shape: name and the LLaMA dimensions that matter for one layer. */
    record Shape(String name, int hidden, int intermediate, int heads, int kvHeads) {
        LlamaConfig config(int context) {
            return new LlamaConfig(256, hidden, intermediate, 1, heads, kvHeads, hidden / heads, "silu", context, 1e-5,
                    10000.0, null, false, 1, List.of(2), null, false, false, "float32");
        }
    }

    static final Map<String, Shape> SHAPES = Map.of(
            "tinyllama", new Shape("TinyLlama-1.1B layer (d 2048, 32/4 heads, ffn 5632)", 2048, 5632, 32, 4),
            "llava7b", new Shape("LLaVA-1.5-7B layer (d 4096, 32/32 heads, ffn 11008)", 4096, 11008, 32, 32));

    /** Times of one backend on one shape. */
    record Times(String backend, double prefillMillis, double decodeMillis, Map<String, double[]> kernelMillis) {
    }

    public static void main(String[] args) {
        List<String> shapes = List.of("tinyllama", "llava7b");
        int prompt = 128;
        int decode = 16;
        String deviceId = null;
        for (Iterator<String> it = Arrays.asList(args).iterator(); it.hasNext(); ) {
            String a = it.next();
            switch (a) {
                case "--shapes" -> shapes = List.of(it.next().split(","));
                case "--prompt" -> prompt = Integer.parseInt(it.next());
                case "--decode" -> decode = Integer.parseInt(it.next());
                case "--device" -> deviceId = it.next();
                default -> throw new IllegalArgumentException("unknown option " + a
                        + " (--shapes tinyllama,llava7b --prompt N --decode N --device B:D)");
            }
        }
        TornadoRuntimeAvailability.require();
        System.out.printf("mod4j layer benchmark: prefill %d rows, then %d decode steps; %d CPU threads; JVM %s%n",
                prompt, decode, Runtime.getRuntime().availableProcessors(), Runtime.version());
        for (String key : shapes) {
            Shape shape = SHAPES.get(key);
            if (shape == null) {
                throw new IllegalArgumentException("unknown shape " + key + " (known: " + SHAPES.keySet() + ")");
            }
            run(shape, prompt, decode, deviceId);
        }
    }

    private static void run(Shape shape, int prompt, int decode, String deviceId) {
        int context = prompt + decode + 1;
        LlamaConfig config = shape.config(context);
        RotaryEmbedding rope = new RotaryEmbedding(config, "benchmark");
        List<Times> times = new ArrayList<>();
        // Each backend gets its own copy of the same random weights: the CPU backend rearranges memory it owns in
        // place for its decode kernels, while the TornadoVM backend reads row-major views.
        try (Arena arena = Arena.ofShared();
             CpuBackend cpu = CpuBackend.of(new ModelParts(config, randomWeights(config, arena), rope, null))) {
            times.add(measure(cpu, null, config, prompt, decode));
        }
        try (Arena arena = Arena.ofShared();
             TornadoBackend device = new TornadoBackend(new ModelParts(config, randomWeights(config, arena), rope,
                     null), Devices.select(deviceId), true)) {
            times.add(measure(device, device, config, prompt, decode));
        }
        print(shape, config, prompt, times);
    }

    private static Times measure(Backend backend, TornadoBackend device, LlamaConfig config, int prompt, int decode) {
        int d = config.hiddenSize();
        ResidualStream stream = backend.newStream(prompt + decode + 1);
        LayerKvCache cache = new LayerKvCache(config.kvDim(), prompt + decode + 1);
        SplittableRandom random = new SplittableRandom(7);
        float[] input = new float[prompt * d];
        for (int i = 0; i < input.length; i++) {
            input[i] = (float) random.nextGaussian();
        }
        int[] positions = new int[prompt];
        for (int i = 0; i < prompt; i++) {
            positions[i] = i;
        }
        Map<String, double[]> kernels = new LinkedHashMap<>();
        // Prefill: the first run warms up (JIT, kernel compilation), the best of the next two is reported.
        double prefill = Double.MAX_VALUE;
        for (int run = 0; run < 3; run++) {
            cache.clear();
            stream.start(prompt);
            for (int r = 0; r < prompt; r++) {
                stream.put(r, input, r * d);
            }
            long t0 = System.nanoTime();
            stream.decoderLayer(0, null, prompt, positions, positions, null, cache);
            double ms = (System.nanoTime() - t0) / 1e6;
            if (run > 0 && ms < prefill) {
                prefill = ms;
                if (device != null) {
                    collectKernels(device.graphs().lastResult(), kernels, 0);
                }
            }
        }
        // Decode: one row at a time against the cache the prefill left; first step warms up, median of the rest.
        double[] steps = new double[decode];
        for (int s = 0; s <= decode; s++) {
            stream.start(1);
            stream.put(0, input, (s % prompt) * d);
            int[] position = {prompt + s};
            long t0 = System.nanoTime();
            stream.decoderLayer(0, null, 1, position, position, null, cache);
            double ms = (System.nanoTime() - t0) / 1e6;
            if (s > 0) {
                steps[s - 1] = ms;
                if (device != null && s == decode) {
                    collectKernels(device.graphs().lastResult(), kernels, 1);
                }
            }
        }
        Arrays.sort(steps);
        return new Times(backend.name(), prefill, steps[steps.length / 2], kernels);
    }

    /** Kernel times (ms) of every task of the last executed graph, from TornadoVM's profile log, into column {@code col}. */
    private static void collectKernels(TornadoExecutionResult result, Map<String, double[]> into, int col) {
        try {
            JsonNode log = new ObjectMapper().readTree(result.getProfilerResult().getProfileLog());
            for (var graph : log.properties()) {
                for (var entry : graph.getValue().properties()) {
                    JsonNode kernelTime = entry.getValue().get("TASK_KERNEL_TIME");
                    if (entry.getValue().isObject() && kernelTime != null) {
                        String task = entry.getKey().substring(entry.getKey().indexOf('.') + 1);
                        into.computeIfAbsent(task, k -> new double[2])[col] = kernelTime.asLong() / 1e6;
                    }
                }
            }
        } catch (Exception e) {
            System.out.println("(could not read TornadoVM's profile log: " + e + ")");
        }
    }

    private static void print(Shape shape, LlamaConfig config, int prompt, List<Times> times) {
        ModelShape s = ModelShape.of(config);
        double prefillFlops = 2.0 * ExactMacs.layerMacs(s, prompt, ExactMacs.causalVisibleKeys(0, prompt));
        long weightBytes = 4L * ((long) config.hiddenSize() * (config.qDim() + 2L * config.kvDim())
                + (long) config.qDim() * config.hiddenSize() + 3L * config.hiddenSize() * config.intermediateSize());
        double decodeBytes = weightBytes + 2.0 * 4 * config.kvDim() * (prompt + 8);
        System.out.printf("%n%s, float32 weights (%.0f MB per layer)%n", shape.name(), weightBytes / 1e6);
        System.out.printf("| backend | prefill %d rows (ms) | prefill GFLOP/s | decode (ms/token) | decode GB/s |%n",
                prompt);
        System.out.println("|---|---:|---:|---:|---:|");
        for (Times t : times) {
            System.out.printf("| %s | %.1f | %.1f | %.2f | %.1f |%n", t.backend(), t.prefillMillis(),
                    prefillFlops / t.prefillMillis() / 1e6, t.decodeMillis(), decodeBytes / t.decodeMillis() / 1e6);
        }
        for (Times t : times) {
            if (t.kernelMillis().isEmpty()) {
                continue;
            }
            System.out.printf("%nkernel times on the device (TornadoVM profiler), one layer:%n");
            System.out.printf("| task | prefill %d rows (ms) | decode 1 row (ms) |%n", prompt);
            System.out.println("|---|---:|---:|");
            double[] total = new double[2];
            for (var e : t.kernelMillis().entrySet()) {
                System.out.printf("| %s | %.3f | %.3f |%n", e.getKey(), e.getValue()[0], e.getValue()[1]);
                total[0] += e.getValue()[0];
                total[1] += e.getValue()[1];
            }
            System.out.printf("| all kernels | %.3f | %.3f |%n", total[0], total[1]);
        }
    }

    /** One layer of random weights, N(0, 0.02) like an initialised model, norms 1. */
    static LlamaWeights randomWeights(LlamaConfig c, Arena arena) {
        SplittableRandom random = new SplittableRandom(42);
        int d = c.hiddenSize();
        int m = c.intermediateSize();
        float[] ones = new float[d];
        Arrays.fill(ones, 1f);
        DecoderLayerWeights layer = new DecoderLayerWeights(0, ones,
                linear("q_proj", c.qDim(), d, random, arena), linear("k_proj", c.kvDim(), d, random, arena),
                linear("v_proj", c.kvDim(), d, random, arena), linear("o_proj", d, c.qDim(), random, arena),
                ones.clone(), linear("gate_proj", m, d, random, arena), linear("up_proj", m, d, random, arena),
                linear("down_proj", d, m, random, arena));
        return new LlamaWeights(matrix("embed_tokens", c.vocabSize(), d, random, arena), List.of(layer), ones.clone(),
                matrix("lm_head", c.vocabSize(), d, random, arena));
    }

    private static Linear linear(String name, int out, int in, SplittableRandom random, Arena arena) {
        return new Linear(matrix(name, out, in, random, arena), null);
    }

    private static WeightMatrix matrix(String name, int out, int in, SplittableRandom random, Arena arena) {
        float[] values = new float[out * in];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextGaussian() * 0.02);
        }
        return WeightMatrix.ofFloats(name, values, DType.F32, out, in, arena);
    }
}
