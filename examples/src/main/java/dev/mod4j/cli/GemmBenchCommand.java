package dev.mod4j.cli;

import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.runtime.cpu.MatmulKernel;
import dev.mod4j.runtime.cpu.Parallel;
import dev.mod4j.runtime.tensor.WeightMatrix;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/**
 * {@code mod4j bench-gemm}: the prefill matrix products of the decoder's shapes, mod4j's kernel next to OpenBLAS's
 * {@code cblas_sgemm} (called through the FFM API) in the same run, same data, same thread count.
 */
@Command(name = "bench-gemm", mixinStandardHelpOptions = true,
        description = "GEMM GFLOP/s on the decoder's shapes; with --compare-openblas, OpenBLAS sgemm side by side.")
final class GemmBenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    Mod4j.CommonOptions common;

    @Option(names = "--rows", defaultValue = "600", paramLabel = "N", description = "Activation rows (prompt tokens).")
    int rows;

    @Option(names = "--threads", paramLabel = "N")
    Integer threads;

    @Option(names = "--repeats", defaultValue = "10", paramLabel = "N",
            description = "Timed runs per shape after an untimed one; best kept. Default: ${DEFAULT-VALUE}.")
    int repeats;

    @Option(names = "--compare-openblas", arity = "0..1", fallbackValue = "", paramLabel = "LIB",
            description = "Also run OpenBLAS sgemm (default library: Debian's libopenblas0-openmp). Set"
                    + " OPENBLAS_CORETYPE=SkylakeX on AVX-512 machines: Debian's 0.3.21 otherwise picks its AVX2 kernel.")
    String openblas;

    record Shape(String name, int out, int in) {
    }

    static final List<Shape> SHAPES = List.of(new Shape("TinyLlama q/o", 2048, 2048), new Shape("TinyLlama k/v", 256, 2048),
            new Shape("TinyLlama gate/up", 5632, 2048), new Shape("TinyLlama down", 2048, 5632),
            new Shape("LLaVA-7B q/k/v/o", 4096, 4096), new Shape("LLaVA-7B gate/up", 11008, 4096),
            new Shape("LLaVA-7B down", 4096, 11008));

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (threads != null) {
            Parallel.setCommonThreads(ModelOptions.checkThreads(threads));
        }
        int threadCount = Parallel.common().threads();
        MethodHandle sgemm = openblas == null ? null : openBlas(openblas, threadCount);

        MatmulKernel.warmUp(DType.F32);
        out.printf("mod4j bench-gemm: %d rows, F32, %d threads%s%n", rows, threadCount, sgemm == null ? ""
                : ", OPENBLAS_CORETYPE=" + System.getenv().getOrDefault("OPENBLAS_CORETYPE", "(unset)"));
        out.printf("%-18s %12s %12s %9s%n", "shape (out x in)", "mod4j GF/s", sgemm == null ? "" : "OpenBLAS GF/s",
                sgemm == null ? "" : "ratio");
        SplittableRandom random = new SplittableRandom(1);
        try (Arena arena = Arena.ofShared()) {
            for (Shape s : SHAPES) {
                float[] w = new float[s.out() * s.in()];
                float[] x = new float[rows * s.in()];
                for (int i = 0; i < w.length; i++) {
                    w[i] = (float) random.nextDouble() - 0.5f;
                }
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) random.nextDouble() - 0.5f;
                }
                WeightMatrix matrix = WeightMatrix.ofFloats(s.name(), w, DType.F32, s.out(), s.in(), arena);
                float[] y = new float[rows * s.out()];
                double flops = 2.0 * rows * s.out() * s.in();
                double mod4j = best(() -> MatmulKernel.multiply(y, 0, x, 0, rows, matrix));
                String blas = "";
                String ratio = "";
                if (sgemm != null) {
                    MemorySegment a = arena.allocateFrom(ValueLayout.JAVA_FLOAT, x);
                    MemorySegment c = arena.allocate((long) rows * s.out() * Float.BYTES, 64);
                    double seconds = best(() -> {
                        try {
                            // C[rows × out] = X[rows × in] · Wᵀ: row-major, B transposed.
                            sgemm.invokeExact(101, 111, 112, rows, s.out(), s.in(), 1f, a, s.in(), matrix.data(), s.in(),
                                    0f, c, s.out());
                        } catch (Throwable t) {
                            throw new IllegalStateException(t);
                        }
                    });
                    blas = String.format("%.1f", flops / seconds / 1e9);
                    ratio = String.format("%.0f%%", 100 * seconds / mod4j);
                }
                out.printf("%-18s %12.1f %12s %9s   (%d x %d)%n", s.name(), flops / mod4j / 1e9, blas, ratio, s.out(),
                        s.in());
                out.flush();
            }
        }
        if (sgemm != null) {
            out.println("ratio: mod4j throughput relative to OpenBLAS on the same shape (100% = equal).");
        }
        return 0;
    }

    private double best(Runnable run) {
        run.run();
        double best = Double.MAX_VALUE;
        for (int i = 0; i < Math.max(1, repeats); i++) {
            long t0 = System.nanoTime();
            run.run();
            best = Math.min(best, (System.nanoTime() - t0) / 1e9);
        }
        return best;
    }

    private static MethodHandle openBlas(String library, int threads) {
        Path lib = library.isEmpty() ? Path.of("/usr/lib/x86_64-linux-gnu/openblas-openmp/libopenblas.so.0")
                : Path.of(library);
        if (!Files.isRegularFile(lib)) {
            throw new InvalidInputException("--compare-openblas", lib + " not found (apt-get install libopenblas0-openmp,"
                    + " or give the library's path)");
        }
        Linker linker = Linker.nativeLinker();
        SymbolLookup blas = SymbolLookup.libraryLookup(lib, Arena.global());
        MethodHandle setThreads = linker.downcallHandle(blas.find("openblas_set_num_threads").orElseThrow(),
                FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT));
        try {
            setThreads.invokeExact(threads);
        } catch (Throwable t) {
            throw new IllegalStateException("openblas_set_num_threads failed", t);
        }
        var i = ValueLayout.JAVA_INT;
        var f = ValueLayout.JAVA_FLOAT;
        var p = ValueLayout.ADDRESS;
        return linker.downcallHandle(blas.find("cblas_sgemm").orElseThrow(() -> new InvalidInputException(
                "--compare-openblas", lib + " has no cblas_sgemm")), FunctionDescriptor.ofVoid(i, i, i, i, i, i, f, p, i, p,
                i, f, p, i));
    }
}
