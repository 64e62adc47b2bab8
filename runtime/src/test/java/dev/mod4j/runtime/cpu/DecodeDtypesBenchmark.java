package dev.mod4j.runtime.cpu;

import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.runtime.tensor.Q8_0;
import dev.mod4j.runtime.tensor.WeightMatrix;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Decode's matrix-vector products over TinyLlama's projections (q, k, v, o, gate, up, down of N layers) in F32, BF16
 * and Q8_0 from the same weights, alternating one pass per dtype, in one JVM: the same-run ratio of the weight
 * formats. F32 and BF16 interleaved as {@code --load copy} leaves them; Q8_0 as {@code --weights q8_0} quantizes
 * (interleaved a block at a time), and the same Q8_0 values row-major ({@code Q8_0-rm}) to show what the interleaving
 * gains. Not a test: run it by hand.
 *
 * <pre>
 * ./mvnw -B -ntp -q -o -pl runtime -am test-compile
 * $JAVA_HOME/bin/java --add-modules jdk.incubator.vector -Xmx4g \
 *     -cp runtime/target/classes:runtime/target/test-classes:loaders/target/classes \
 *     dev.mod4j.runtime.cpu.DecodeDtypesBenchmark [layers, default 4] [passes, default 30]
 * </pre>
 */
public final class DecodeDtypesBenchmark {
    private static final int[][] SHAPES = {{2048, 2048}, {256, 2048}, {256, 2048}, {2048, 2048}, {5632, 2048},
            {5632, 2048}, {2048, 5632}};

    private DecodeDtypesBenchmark() {
    }

    public static void main(String[] args) {
        int layers = args.length > 0 ? Integer.parseInt(args[0]) : 4;
        int passes = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        DType[] types = {DType.F32, DType.BF16, DType.Q8_0, DType.Q8_0};
        String[] names = {"F32", "BF16", "Q8_0", "Q8_0-rm"};
        Parallel parallel = Parallel.common();
        SplittableRandom random = new SplittableRandom(1);
        Arena arena = Arena.ofShared();
        List<List<WeightMatrix>> matrices = new ArrayList<>();
        for (DType ignored : types) {
            matrices.add(new ArrayList<>());
        }
        for (int l = 0; l < layers; l++) {
            for (int[] s : SHAPES) {
                float[] v = new float[s[0] * s[1]];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) random.nextGaussian() * 0.02f;
                }
                for (int t = 0; t < types.length - 1; t++) {
                    WeightMatrix w = WeightMatrix.ofFloats("w", v, types[t] == DType.Q8_0 ? DType.F32 : types[t], s[0],
                            s[1], arena);
                    matrices.get(t).add(types[t] == DType.Q8_0 ? Q8_0.quantize(w, arena)
                            : w.interleaveInPlace(CpuBackend.WEIGHT_CHUNK_BYTES));
                }
                matrices.get(3).add(matrices.get(2).getLast().rowMajor(arena));
            }
        }
        MatmulKernel.warmUp(types);
        float[] x = new float[5632];
        float[] y = new float[5632];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        double[][] millis = new double[types.length][passes];
        for (int pass = 0; pass < passes; pass++) {
            for (int t = 0; t < types.length; t++) {
                long t0 = System.nanoTime();
                for (WeightMatrix w : matrices.get(t)) {
                    MatmulKernel.multiply(y, 0, x, 0, 1, w, parallel);
                }
                millis[t][pass] = (System.nanoTime() - t0) / 1e6;
            }
        }
        double[] medians = new double[types.length];
        for (int t = 0; t < types.length; t++) {
            long bytes = matrices.get(t).stream().mapToLong(w -> w.data().byteSize()).sum();
            double[] sorted = millis[t].clone();
            Arrays.sort(sorted);
            medians[t] = sorted[passes / 2];
            System.out.printf("%-7s %8.1f ms a pass (median of %d)  %6.1f GB/s  %.2f GB%n", names[t], medians[t],
                    passes, bytes / medians[t] / 1e6, bytes / 1e9);
        }
        System.out.printf("Q8_0 against BF16: %.2fx, against F32: %.2fx, against Q8_0 row-major: %.2fx (time ratios,"
                + " same run)%n", medians[1] / medians[2], medians[0] / medians[2], medians[3] / medians[2]);
        System.exit(0);
    }
}
