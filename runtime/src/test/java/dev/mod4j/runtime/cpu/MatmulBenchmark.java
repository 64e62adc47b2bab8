package dev.mod4j.runtime.cpu;

import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.runtime.tensor.WeightMatrix;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;

/**
 * Throughput of {@link MatmulKernel} on the linear layers of a TinyLlama and a LLaVA-7B decoder layer, for
 * decode (1 row: GFLOP/s and GB/s of weights streamed) and prefill (600 rows: GFLOP/s), per weight dtype,
 * plus the per-call overhead of {@link Parallel} against a ForkJoinPool. Not a test: run it by hand.
 *
 * <pre>
 * export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
 * ./mvnw -B -ntp -q -pl runtime -am test-compile
 * $JAVA_HOME/bin/java --add-modules jdk.incubator.vector -Xmx2g \
 *     -cp runtime/target/classes:runtime/target/test-classes:loaders/target/classes \
 *     dev.mod4j.runtime.cpu.MatmulBenchmark [F32|F16|BF16 ...] [-Dmod4j.threads=N before -cp]
 * </pre>
 *
 * Run from the repository root, on an otherwise idle machine: another process on one of two cores halves every
 * number. Decode rotates over copies of the matrix totalling at least {@value #DECODE_BYTES_MIN} bytes so that
 * the weights come from memory, not from the last-level cache, as they do in a real forward pass.
 *
 * <p>Medians measured on the 2-core AVX-512 (Zen 5) development machine, idle, 2 threads: prefill 600 rows
 * 300–325 GFLOP/s for F32, BF16 and F16 alike (OpenBLAS sgemm: 350–390); decode F32 60–64 GB/s, BF16 40–51 GB/s
 * (the 256×2048 k/v projections ~30 GB/s: 1 MiB per call leaves call overhead visible), F16 26–33 GB/s.
 */
public final class MatmulBenchmark {

    private static final long DECODE_BYTES_MIN = 512L << 20;
    private static final int PREFILL_ROWS = 600;

    private record Shape(String model, String layer, int out, int in) {
    }

    private static final List<Shape> SHAPES = List.of(
            new Shape("TinyLlama", "q/o_proj", 2048, 2048),
            new Shape("TinyLlama", "k/v_proj", 256, 2048),
            new Shape("TinyLlama", "gate/up", 5632, 2048),
            new Shape("TinyLlama", "down", 2048, 5632),
            new Shape("LLaVA-7B", "q/k/v/o", 4096, 4096),
            new Shape("LLaVA-7B", "gate/up", 11008, 4096),
            new Shape("LLaVA-7B", "down", 4096, 11008));

    private MatmulBenchmark() {
    }

    public static void main(String[] args) {
        List<DType> dtypes = new ArrayList<>();
        for (String arg : args) {
            dtypes.add(DType.valueOf(arg));
        }
        if (dtypes.isEmpty()) {
            dtypes = List.of(DType.F32, DType.BF16, DType.F16);
        }
        Parallel parallel = Parallel.common();
        long warmUpStart = System.nanoTime();
        MatmulKernel.warmUp(dtypes.toArray(DType[]::new));
        System.out.printf("warm-up: %.1f s%n", (System.nanoTime() - warmUpStart) / 1e9);
        System.out.printf("threads=%d, vector=%d bits, java %s%n", parallel.threads(),
                jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize(), Runtime.version());
        parallelOverhead(parallel);
        System.out.println();
        System.out.println("decode: 1 row, weights streamed from memory; prefill: " + PREFILL_ROWS
                + " rows. Times and rates are medians; 'best' is the fastest run.");
        System.out.printf("%-9s %-9s %-5s %13s | %9s %7s %7s %7s | %10s %7s %7s%n", "model", "layer", "dtype",
                "out x in", "decode us", "GFLOP/s", "GB/s", "best", "prefill ms", "GFLOP/s", "best");
        for (DType dtype : dtypes) {
            for (Shape shape : SHAPES) {
                benchmark(shape, dtype, parallel);
            }
        }
    }

    private static void benchmark(Shape shape, DType dtype, Parallel parallel) {
        long weightBytes = (long) shape.out * shape.in * dtype.byteSize();
        int copies = (int) Math.max(1, (DECODE_BYTES_MIN + weightBytes - 1) / weightBytes);
        SplittableRandom random = new SplittableRandom(1);
        try (Arena arena = Arena.ofShared()) {
            WeightMatrix[] weights = new WeightMatrix[copies];
            weights[0] = randomMatrix(shape, dtype, arena, random);
            for (int i = 1; i < copies; i++) {
                MemorySegment copy = arena.allocate(weightBytes, 64).copyFrom(weights[0].data());
                weights[i] = new WeightMatrix(shape.layer, copy, dtype, shape.out, shape.in);
            }
            float[] x = randomFloats(random, PREFILL_ROWS * shape.in);
            float[] y = new float[PREFILL_ROWS * shape.out];

            int decodeCalls = Math.max(copies, 20);
            for (int i = 0; i < decodeCalls * 5; i++) {
                MatmulKernel.multiply(y, 0, x, 0, 1, weights[i % copies], parallel);
            }
            double[] decodeNanos = new double[7];
            for (int run = 0; run < decodeNanos.length; run++) {
                long start = System.nanoTime();
                for (int i = 0; i < decodeCalls; i++) {
                    MatmulKernel.multiply(y, 0, x, 0, 1, weights[i % copies], parallel);
                }
                decodeNanos[run] = (double) (System.nanoTime() - start) / decodeCalls;
            }
            double decode = median(decodeNanos);
            double decodeBest = Arrays.stream(decodeNanos).min().orElseThrow();

            for (int i = 0; i < 2; i++) {
                MatmulKernel.multiply(y, 0, x, 0, PREFILL_ROWS, weights[0], parallel);
            }
            double[] prefillNanos = new double[7];
            for (int run = 0; run < prefillNanos.length; run++) {
                long start = System.nanoTime();
                MatmulKernel.multiply(y, 0, x, 0, PREFILL_ROWS, weights[0], parallel);
                prefillNanos[run] = System.nanoTime() - start;
            }
            double prefill = median(prefillNanos);
            double prefillBest = Arrays.stream(prefillNanos).min().orElseThrow();

            double flopsPerRow = 2.0 * shape.out * shape.in;
            System.out.printf("%-9s %-9s %-5s %5d x %5d | %9.1f %7.1f %7.1f %7.1f | %10.2f %7.1f %7.1f%n",
                    shape.model, shape.layer, dtype, shape.out, shape.in, decode / 1e3, flopsPerRow / decode,
                    weightBytes / decode, weightBytes / decodeBest, prefill / 1e6,
                    flopsPerRow * PREFILL_ROWS / prefill, flopsPerRow * PREFILL_ROWS / prefillBest);
        }
    }

    /** Per-call cost of an almost empty two-item job: this pool against the common ForkJoinPool. */
    private static void parallelOverhead(Parallel parallel) {
        int calls = 200_000;
        long[] sink = new long[64];
        ForkJoinPool pool = ForkJoinPool.commonPool();
        for (int round = 0; round < 3; round++) {
            long start = System.nanoTime();
            for (int i = 0; i < calls; i++) {
                parallel.forEach(parallel.threads(), item -> sink[item * 16]++);
            }
            double ours = (double) (System.nanoTime() - start) / calls;
            start = System.nanoTime();
            for (int i = 0; i < calls / 10; i++) {
                RecursiveAction[] tasks = new RecursiveAction[parallel.threads()];
                for (int t = 0; t < tasks.length; t++) {
                    int item = t;
                    tasks[t] = new RecursiveAction() {
                        @Override
                        protected void compute() {
                            sink[item * 16]++;
                        }
                    };
                }
                pool.invoke(new RecursiveAction() {
                    @Override
                    protected void compute() {
                        invokeAll(tasks);
                    }
                });
            }
            double forkJoin = (double) (System.nanoTime() - start) / (calls / 10);
            if (round == 2) {
                System.out.printf("per-call overhead of a %d-item job: Parallel %.2f us, ForkJoinPool %.2f us%n",
                        parallel.threads(), ours / 1e3, forkJoin / 1e3);
            }
        }
    }

    private static WeightMatrix randomMatrix(Shape shape, DType dtype, Arena arena, SplittableRandom random) {
        long elements = (long) shape.out * shape.in;
        MemorySegment data = arena.allocate(elements * dtype.byteSize(), 64);
        float scale = (float) (1 / Math.sqrt(shape.in));
        for (long i = 0; i < elements; i++) {
            float value = (float) (random.nextDouble() * 2 - 1) * scale;
            switch (dtype) {
                case F32 -> data.setAtIndex(ValueLayout.JAVA_FLOAT, i, value);
                case F16 -> data.setAtIndex(ValueLayout.JAVA_SHORT, i, Float.floatToFloat16(value));
                case BF16 -> data.setAtIndex(ValueLayout.JAVA_SHORT, i, WeightMatrix.floatToBFloat16(value));
                default -> throw new IllegalArgumentException(dtype.name());
            }
        }
        return new WeightMatrix(shape.layer, data, dtype, shape.out, shape.in);
    }

    private static float[] randomFloats(SplittableRandom random, int n) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return values;
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
