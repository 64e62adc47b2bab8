package dev.mod4j.runtime.cpu;

import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.runtime.tensor.WeightMatrix;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.Arena;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Products with Q8_0 weights against the F32 kernels on the dequantized weights ({@code q · d}, exact in float). */
class Q8_0DotProductsTest {

    @ParameterizedTest(name = "rows={0} out={1} in={2}")
    @CsvSource({
            "1, 7, 32",      // one block, outputs past the groups of 4
            "1, 64, 320",
            "3, 37, 96",     // a few rows (decode kernel)
            "3, 40, 96",     // the same, rows in whole groups: interleaved
            "6, 70, 320",    // prefill: packed panels
            "6, 72, 544",    // the same, rows in whole groups: interleaved
            "13, 130, 544",  // prefill: k blocks and edge panels
    })
    void productsAreThoseOfTheDequantizedWeights(int rows, int out, int in) {
        SplittableRandom random = new SplittableRandom(out * 31L + in);
        float[] values = new float[out * in];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian() * 0.05f;
        }
        float[] x = new float[rows * in];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        try (Arena arena = Arena.ofShared(); Parallel three = new Parallel(3); Parallel one = new Parallel(1)) {
            WeightMatrix q = WeightMatrix.ofFloats("q", values, DType.Q8_0, out, in, arena);
            float[] dequantized = new float[out * in];
            for (int o = 0; o < out; o++) {
                for (int c = 0; c < in; c++) {
                    dequantized[o * in + c] = q.get(o, c);
                }
            }
            WeightMatrix f = WeightMatrix.ofFloats("f", dequantized, DType.F32, out, in, arena);
            float[] expected = new float[rows * out];
            float[] actual = new float[rows * out];
            float[] oneThread = new float[rows * out];
            MatmulKernel.multiply(expected, 0, x, 0, rows, f, three);
            MatmulKernel.multiply(actual, 0, x, 0, rows, q, three);
            MatmulKernel.multiply(oneThread, 0, x, 0, rows, q, one);
            assertArrayEquals(actual, oneThread, "bit for bit whatever the thread count");
            float[] rowMajor = new float[rows * out];
            MatmulKernel.multiply(rowMajor, 0, x, 0, rows, q.rowMajor(arena), three);
            assertArrayEquals(actual, rowMajor, "bit for bit whatever the layout (interleaved: " + q.interleaved() + ")");
            if (rows >= MatmulKernel.PACKING_MIN_ROWS) {
                assertArrayEquals(expected, actual, "prefill multiplies the dequantized weights, packed as F32");
            } else {
                for (int i = 0; i < expected.length; i++) {
                    double scale = 0;
                    int r = i / out;
                    int o = i % out;
                    for (int c = 0; c < in; c++) {
                        scale += Math.abs((double) x[r * in + c] * dequantized[o * in + c]);
                    }
                    assertEquals(expected[i], actual[i], 1e-5 * scale + 1e-6, "output " + i);
                }
            }
            float[] accumulated = actual.clone();
            MatmulKernel.multiplyAccumulate(accumulated, 0, x, 0, rows, q, three);
            for (int i = 0; i < actual.length; i++) {
                assertEquals(2 * actual[i], accumulated[i], Math.abs(actual[i]) * 1e-6 + 1e-6);
            }
        }
    }
}
