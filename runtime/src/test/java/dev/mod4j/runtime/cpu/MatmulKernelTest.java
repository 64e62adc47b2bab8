package dev.mod4j.runtime.cpu;

import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.runtime.tensor.WeightMatrix;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import com.sun.management.ThreadMXBean;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class MatmulKernelTest {

    private static final int[] ROWS = {1, 2, 3, 7, 16, 33, 100};
    private static final int[] FEATURES = {1, 5, 17, 64, 100, 257, 1024};

    private static Parallel twoThreads;

    @BeforeAll
    static void startPool() {
        twoThreads = new Parallel(2);
    }

    @AfterAll
    static void stopPool() {
        twoThreads.close();
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16", "BF16"})
    void matchesADoublePrecisionReferenceForManyShapes(DType dtype) {
        SplittableRandom random = new SplittableRandom(42 + dtype.ordinal());
        try (Arena arena = Arena.ofShared()) {
            for (int out : FEATURES) {
                for (int in : FEATURES) {
                    WeightMatrix w = WeightMatrix.ofFloats("w", randomFloats(random, out * in), dtype, out, in, arena);
                    for (int rows : ROWS) {
                        float[] x = randomFloats(random, rows * in);
                        float[] y = new float[rows * out];
                        MatmulKernel.multiply(y, 0, x, 0, rows, w, twoThreads);
                        assertClose(reference(x, rows, w), y, in, dtype + " rows=" + rows + " in=" + in + " out=" + out);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16", "BF16"})
    void accumulatesIntoOutputAtOffsets(DType dtype) {
        SplittableRandom random = new SplittableRandom(7);
        int out = 100, in = 257, outOffset = 3, inOffset = 5;
        try (Arena arena = Arena.ofShared()) {
            WeightMatrix w = WeightMatrix.ofFloats("w", randomFloats(random, out * in), dtype, out, in, arena);
            for (int rows : new int[] {1, 2, 9, 40}) {
                float[] x = randomFloats(random, inOffset + rows * in + 4);
                float[] initial = randomFloats(random, outOffset + rows * out + 4);
                float[] y = initial.clone();
                MatmulKernel.multiplyAccumulate(y, outOffset, x, inOffset, rows, w, twoThreads);

                double[][] expected = reference(Arrays.copyOfRange(x, inOffset, inOffset + rows * in), rows, w);
                float[] got = Arrays.copyOfRange(y, outOffset, outOffset + rows * out);
                for (int r = 0; r < rows; r++) {
                    for (int o = 0; o < out; o++) {
                        expected[0][r * out + o] += initial[outOffset + r * out + o];
                        expected[1][r * out + o] = Math.max(expected[1][r * out + o],
                                Math.abs(initial[outOffset + r * out + o]));
                    }
                }
                assertClose(expected, got, in, dtype + " accumulate rows=" + rows);
                for (int i = 0; i < outOffset; i++) {
                    assertEquals(initial[i], y[i], "before the output");
                }
                for (int i = outOffset + rows * out; i < y.length; i++) {
                    assertEquals(initial[i], y[i], "after the output");
                }
            }
        }
    }

    @Test
    void resultsDoNotDependOnTheThreadCount() {
        SplittableRandom random = new SplittableRandom(3);
        try (Arena arena = Arena.ofShared();
             Parallel one = new Parallel(1);
             Parallel three = new Parallel(3)) {
            for (DType dtype : new DType[] {DType.F32, DType.F16, DType.BF16}) {
                for (int[] shape : new int[][] {{1, 300, 1030}, {3, 700, 64}, {7, 257, 600}, {100, 1000, 300},
                        {40, 256, 2048}}) {
                    int rows = shape[0], out = shape[1], in = shape[2];
                    WeightMatrix w = WeightMatrix.ofFloats("w", randomFloats(random, out * in), dtype, out, in, arena);
                    float[] x = randomFloats(random, rows * in);
                    float[] y1 = new float[rows * out], y2 = new float[rows * out], y3 = new float[rows * out];
                    MatmulKernel.multiply(y1, 0, x, 0, rows, w, one);
                    MatmulKernel.multiply(y2, 0, x, 0, rows, w, twoThreads);
                    MatmulKernel.multiply(y3, 0, x, 0, rows, w, three);
                    assertArrayEquals(y1, y2, dtype + " " + Arrays.toString(shape));
                    assertArrayEquals(y1, y3, dtype + " " + Arrays.toString(shape));
                }
            }
        }
    }

    @Test
    void aRowsResultDoesNotDependOnTheOtherRowsOfItsPath() {
        SplittableRandom random = new SplittableRandom(5);
        int out = 70;
        // inFeatures with a tail shorter than a vector, one longer (half-precision kernels read two vectors at a
        // time), and one across the multi-row kernels' widening chunks.
        for (int in : new int[] {300, 600, 1040}) {
            try (Arena arena = Arena.ofShared()) {
                for (DType dtype : new DType[] {DType.F32, DType.F16, DType.BF16}) {
                    WeightMatrix w = WeightMatrix.ofFloats("w", randomFloats(random, out * in), dtype, out, in, arena);
                    // Few rows: a batch below the packing threshold against each row alone.
                    int fewRows = MatmulKernel.PACKING_MIN_ROWS - 1;
                    float[] x = randomFloats(random, 2 * MatmulKernel.PACKING_MIN_ROWS * in);
                    float[] batch = new float[fewRows * out];
                    MatmulKernel.multiply(batch, 0, x, 0, fewRows, w, twoThreads);
                    for (int r = 0; r < fewRows; r++) {
                        float[] alone = new float[out];
                        MatmulKernel.multiply(alone, 0, x, r * in, 1, w, twoThreads);
                        assertArrayEquals(alone, Arrays.copyOfRange(batch, r * out, (r + 1) * out),
                                dtype + " in=" + in + " row " + r);
                    }
                    // Many rows: a packed batch against a later, differently aligned packed batch.
                    int manyRows = 2 * MatmulKernel.PACKING_MIN_ROWS;
                    float[] big = new float[manyRows * out];
                    MatmulKernel.multiply(big, 0, x, 0, manyRows, w, twoThreads);
                    int shift = 1, subRows = MatmulKernel.PACKING_MIN_ROWS + 1;
                    float[] sub = new float[subRows * out];
                    MatmulKernel.multiply(sub, 0, x, shift * in, subRows, w, twoThreads);
                    assertArrayEquals(Arrays.copyOfRange(big, shift * out, (shift + subRows) * out), sub, dtype.name());
                }
            }
        }
    }

    /**
     * The prefill MLP's passes: products with blocks of output features equal the matching columns of the whole
     * product, and blocks of input features added up one after the other, split at multiples of the k block,
     * equal the whole product; both bit for bit.
     */
    @Test
    void blocksOfTheWeightMatrixAddUpToTheWholeProductBitForBit() {
        SplittableRandom random = new SplittableRandom(11);
        int rows = 50, out = 300, in = 2 * PackedPanelGemm.K_BLOCK + 77;
        try (Arena arena = Arena.ofShared()) {
            for (DType dtype : new DType[] {DType.F32, DType.F16, DType.BF16}) {
                WeightMatrix w = WeightMatrix.ofFloats("w", randomFloats(random, out * in), dtype, out, in, arena);
                float[] x = randomFloats(random, rows * in);
                float[] whole = new float[rows * out];
                MatmulKernel.multiply(whole, 0, x, 0, rows, w, twoThreads);

                for (int[] block : new int[][] {{0, 64}, {64, 100}, {164, 136}, {299, 1}}) {
                    int from = block[0], count = block[1];
                    float[] columns = new float[rows * count];
                    PackedPanelGemm.multiplyBlock(columns, 0, x, 0, rows, w, from, count, 0, in, false, twoThreads);
                    for (int r = 0; r < rows; r++) {
                        assertArrayEquals(Arrays.copyOfRange(whole, r * out + from, r * out + from + count),
                                Arrays.copyOfRange(columns, r * count, (r + 1) * count),
                                dtype + " outputs [" + from + ", " + (from + count) + ") row " + r);
                    }
                }

                for (int[] splits : new int[][] {{PackedPanelGemm.K_BLOCK}, {PackedPanelGemm.K_BLOCK,
                        2 * PackedPanelGemm.K_BLOCK}}) {
                    float[] summed = new float[rows * out];
                    int from = 0;
                    for (int i = 0; i <= splits.length; i++) {
                        int to = i < splits.length ? splits[i] : in;
                        int width = to - from;
                        float[] slice = new float[rows * width];
                        for (int r = 0; r < rows; r++) {
                            System.arraycopy(x, r * in + from, slice, r * width, width);
                        }
                        PackedPanelGemm.multiplyBlock(summed, 0, slice, 0, rows, w, 0, out, from, width, from > 0,
                                twoThreads);
                        from = to;
                    }
                    assertArrayEquals(whole, summed, dtype + " inputs split at " + Arrays.toString(splits));
                }
            }
        }
    }

    @Test
    void readsWeightsFromAMemoryMappedFileAtAnOddOffset(@TempDir Path dir) throws IOException {
        SplittableRandom random = new SplittableRandom(11);
        int out = 257, in = 100, offset = 6;
        for (DType dtype : new DType[] {DType.F32, DType.F16, DType.BF16}) {
            try (Arena arena = Arena.ofShared()) {
                WeightMatrix heap = WeightMatrix.ofFloats("w", randomFloats(random, out * in), dtype, out, in, arena);
                Path file = dir.resolve("weights-" + dtype + ".bin");
                byte[] bytes = new byte[offset + (int) heap.data().byteSize() + 3];
                MemorySegment.copy(heap.data(), ValueLayout.JAVA_BYTE, 0, bytes, offset, (int) heap.data().byteSize());
                Files.write(file, bytes);
                try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
                    MemorySegment mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, bytes.length, arena);
                    WeightMatrix fromFile = new WeightMatrix("w", mapped.asSlice(offset, heap.data().byteSize()),
                            dtype, out, in);
                    assertTrue(fromFile.data().isReadOnly());
                    for (int rows : new int[] {1, 5, 30}) {
                        float[] x = randomFloats(random, rows * in);
                        float[] expected = new float[rows * out], got = new float[rows * out];
                        MatmulKernel.multiply(expected, 0, x, 0, rows, heap, twoThreads);
                        MatmulKernel.multiply(got, 0, x, 0, rows, fromFile, twoThreads);
                        assertArrayEquals(expected, got, dtype + " rows=" + rows);
                    }
                }
            }
        }
    }

    @Test
    void widensEveryHalfFloatExactly() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment halves = arena.allocate(2L * 65536 + 2);
            for (int bits = 0; bits < 65536; bits++) {
                halves.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 2 + 2L * bits, (short) bits);
            }
            float[] f16 = new float[65536 + 3];
            float[] bf16 = new float[65536 + 3];
            // Offset 2 bytes: the vector loads are deliberately not aligned to their size; +3 in the array too.
            WeightVectors.widenF16(halves, 2, f16, 3, 65536);
            WeightVectors.widenBF16(halves, 2, bf16, 3, 65536);
            for (int bits = 0; bits < 65536; bits++) {
                float expected = Float.float16ToFloat((short) bits);
                float got = f16[3 + bits];
                if (Float.isNaN(expected)) {
                    assertTrue(Float.isNaN(got), "F16 bits " + Integer.toHexString(bits));
                } else {
                    assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(got),
                            "F16 bits " + Integer.toHexString(bits));
                }
                assertEquals(bits << 16, Float.floatToRawIntBits(bf16[3 + bits]), "BF16 bits " + Integer.toHexString(bits));
            }
            // The paired forms: the same values, rearranged as toPairedOrder rearranges activations.
            float[] f16Paired = new float[65536 + 3], bf16Paired = new float[65536 + 3];
            float[] f16Expected = new float[65536 + 3], bf16Expected = new float[65536 + 3];
            WeightVectors.widenF16Paired(halves, 2, f16Paired, 3, 65536);
            WeightVectors.widenBF16Paired(halves, 2, bf16Paired, 3, 65536);
            WeightVectors.toPairedOrder(f16, 3, f16Expected, 3, 65536);
            WeightVectors.toPairedOrder(bf16, 3, bf16Expected, 3, 65536);
            for (int i = 3; i < 65536 + 3; i++) {
                assertEquals(Float.floatToRawIntBits(f16Expected[i]), Float.floatToRawIntBits(f16Paired[i]),
                        "paired F16 at " + i);
                assertEquals(Float.floatToRawIntBits(bf16Expected[i]), Float.floatToRawIntBits(bf16Paired[i]),
                        "paired BF16 at " + i);
            }
        }
    }

    @Test
    void propagatesInfinityFromHalfPrecisionWeights() {
        int in = 64;
        float[] values = new float[2 * in];
        values[3] = Float.POSITIVE_INFINITY;
        values[in + 40] = Float.NEGATIVE_INFINITY;
        float[] x = new float[in];
        Arrays.fill(x, 1f);
        try (Arena arena = Arena.ofShared()) {
            for (DType dtype : new DType[] {DType.F32, DType.F16, DType.BF16}) {
                WeightMatrix w = WeightMatrix.ofFloats("w", values, dtype, 2, in, arena);
                float[] y = new float[2];
                MatmulKernel.multiply(y, 0, x, 0, 1, w, twoThreads);
                assertEquals(Float.POSITIVE_INFINITY, y[0], dtype.name());
                assertEquals(Float.NEGATIVE_INFINITY, y[1], dtype.name());
            }
        }
    }

    /**
     * Once compiled, a call allocates only its small job object. Vectors that C2 fails to keep in registers (a
     * helper it declined to inline) are allocated on every use instead, megabytes per call and ten times slower,
     * which nothing else would notice.
     */
    @Test
    void compiledKernelsDoNotAllocatePerElement() {
        MatmulKernel.warmUp(DType.F32, DType.F16, DType.BF16);
        ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        SplittableRandom random = new SplittableRandom(9);
        int out = 200;
        try (Arena arena = Arena.ofShared(); Parallel callingThread = new Parallel(1)) {
            for (DType dtype : new DType[] {DType.F32, DType.F16, DType.BF16}) {
                int chunkIn = 5 * WeightVectors.VECTOR_BYTES / dtype.byteSize();
                WeightMatrix rowMajor = WeightMatrix.ofFloats("row-major", randomFloats(random, out * 300), dtype,
                        out, 300, arena);
                WeightMatrix interleaved = WeightMatrix.ofFloats("interleaved", randomFloats(random, out * chunkIn),
                        dtype, out, chunkIn, arena).interleaveInPlace(WeightVectors.VECTOR_BYTES);
                for (WeightMatrix w : new WeightMatrix[] {rowMajor, interleaved}) {
                    for (int rows : new int[] {1, MatmulKernel.PACKING_MIN_ROWS - 1, 40}) {
                        float[] x = randomFloats(random, rows * w.inFeatures());
                        float[] y = new float[rows * out];
                        // Earlier tests' shapes may have made C2 deoptimise a kernel; give it time to recompile.
                        long fewest = Long.MAX_VALUE;
                        long deadline = System.nanoTime() + 20_000_000_000L;
                        while (fewest > 1024 && System.nanoTime() < deadline) {
                            long before = threads.getCurrentThreadAllocatedBytes();
                            for (int call = 0; call < 4; call++) {
                                MatmulKernel.multiply(y, 0, x, 0, rows, w, callingThread);
                            }
                            fewest = Math.min(fewest, (threads.getCurrentThreadAllocatedBytes() - before) / 4);
                        }
                        assertTrue(fewest <= 1024, w.name() + " " + dtype + " rows=" + rows + ": " + fewest
                                + " bytes allocated per call");
                    }
                }
            }
        }
    }

    /**
     * Interleaved weights (as loaded into memory for decode) give every product bit for bit as the row-major ones:
     * decode with one activation row and with a few, the packed prefill product, and blocks of it.
     */
    @Test
    void interleavedWeightsGiveTheSameProductsBitForBit() {
        SplittableRandom random = new SplittableRandom(12);
        int chunk = WeightVectors.VECTOR_BYTES;
        try (Arena arena = Arena.ofShared()) {
            for (DType dtype : new DType[] {DType.F32, DType.F16, DType.BF16}) {
                int perChunk = chunk / dtype.byteSize();
                for (int[] shape : new int[][] {{4, perChunk}, {12, 7 * perChunk}, {300, 2048}, {64, 5 * perChunk},
                        {260, PackedPanelGemm.K_BLOCK + 3 * perChunk}}) {
                    int out = shape[0], in = shape[1];
                    float[] values = randomFloats(random, out * in);
                    WeightMatrix w = WeightMatrix.ofFloats("w", values, dtype, out, in, arena);
                    WeightMatrix wi = WeightMatrix.ofFloats("w", values, dtype, out, in, arena)
                            .interleaveInPlace(chunk);
                    for (int rows : new int[] {1, 2, 5, MatmulKernel.PACKING_MIN_ROWS, 40}) {
                        String what = dtype + " rows=" + rows + " out=" + out + " in=" + in;
                        float[] x = randomFloats(random, rows * in);
                        float[] y = randomFloats(random, rows * out), yi = y.clone();
                        MatmulKernel.multiplyAccumulate(y, 0, x, 0, rows, w, twoThreads);
                        MatmulKernel.multiplyAccumulate(yi, 0, x, 0, rows, wi, twoThreads);
                        assertArrayEquals(y, yi, what);
                        if (rows >= MatmulKernel.PACKING_MIN_ROWS && out > 8) {
                            float[] b = new float[rows * 8], bi = new float[rows * 8];
                            PackedPanelGemm.multiplyBlock(b, 0, x, 0, rows, w, 4, 8, 0, in, false, twoThreads);
                            PackedPanelGemm.multiplyBlock(bi, 0, x, 0, rows, wi, 4, 8, 0, in, false, twoThreads);
                            assertArrayEquals(b, bi, what + " outputs [4, 12)");
                        }
                    }
                }
            }
        }
    }

    @Test
    void rejectsArraysTooShortForTheShape() {
        try (Arena arena = Arena.ofShared()) {
            WeightMatrix w = WeightMatrix.ofFloats("w", new float[6], DType.F32, 2, 3, arena);
            assertThrows(IndexOutOfBoundsException.class,
                    () -> MatmulKernel.multiply(new float[4], 0, new float[5], 0, 2, w, twoThreads));
            assertThrows(IndexOutOfBoundsException.class,
                    () -> MatmulKernel.multiply(new float[3], 0, new float[6], 0, 2, w, twoThreads));
        }
    }

    private static float[] randomFloats(SplittableRandom random, int n) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return values;
    }

    /** {expected sums, max |term| per output}, in double from the dtype-rounded weights. */
    private static double[][] reference(float[] x, int rows, WeightMatrix w) {
        int out = w.outFeatures(), in = w.inFeatures();
        double[][] weights = new double[out][in];
        for (int o = 0; o < out; o++) {
            for (int c = 0; c < in; c++) {
                weights[o][c] = w.get(o, c);
            }
        }
        double[] sums = new double[rows * out];
        double[] maxTerms = new double[rows * out];
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < out; o++) {
                double sum = 0, maxTerm = 0;
                for (int c = 0; c < in; c++) {
                    double term = x[r * in + c] * weights[o][c];
                    sum += term;
                    maxTerm = Math.max(maxTerm, Math.abs(term));
                }
                sums[r * out + o] = sum;
                maxTerms[r * out + o] = maxTerm;
            }
        }
        return new double[][] {sums, maxTerms};
    }

    /**
     * Sequential float32 summation of n terms of random sign: each rounding is at most u = 2^-24 of a partial
     * sum, partial sums grow like sqrt(i)·|term| and the rounding errors add like a random walk, so the error is
     * about u·n·|term|/sqrt(2), i.e. 4e-5·|term| at n = 1024 (vector lanes only make it smaller). The tolerance
     * 1e-5·sqrt(n)·max|term| is 3.2e-4·max|term| there: a wide margin for rounding up to the sizes tested, yet
     * far below one term, so a lost, doubled or wrongly widened term fails.
     */
    private static void assertClose(double[][] expected, float[] got, int in, String what) {
        double[] sums = expected[0], maxTerms = expected[1];
        assertEquals(sums.length, got.length, what);
        for (int i = 0; i < got.length; i++) {
            double tolerance = 1e-5 * Math.sqrt(in) * maxTerms[i] + 1e-30;
            if (!(Math.abs(got[i] - sums[i]) <= tolerance)) {
                fail(what + ": output " + i + " is " + got[i] + ", expected " + sums[i] + " ± " + tolerance);
            }
        }
    }
}
