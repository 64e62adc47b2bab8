package dev.mod4j.runtime.cpu;

import dev.mod4j.runtime.backend.LayerKvCache;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The blocked attention kernels against a plain double-precision softmax(q·kᵀ/√d)·v, on ragged shapes. */
class AttentionKernelTest {

    @ParameterizedTest(name = "rows={0} base={1} heads={2}/{3} headDim={4}")
    @CsvSource({
            "1, 0, 4, 4, 16",     // first decode step
            "1, 37, 8, 2, 64",    // decode against a cache, GQA group of 4
            "23, 0, 4, 1, 19",    // prefill, one kv head, headDim with a scalar tail
            "37, 5, 6, 3, 40",    // ragged: rows past a row block, headDim = 2.5 vectors
            "70, 11, 2, 2, 128",  // rows and keys over several key vectors
            "3, 100, 3, 3, 7",    // headDim below one vector
    })
    void causalAttentionMatchesTheDefinition(int rows, int base, int heads, int kvHeads, int headDim) {
        int qDim = heads * headDim;
        int kvDim = kvHeads * headDim;
        SplittableRandom random = new SplittableRandom(rows * 31L + base);
        LayerKvCache cache = new LayerKvCache(kvDim, base + rows);
        int[] positions = new int[base + rows];
        cache.reserve(base, positions, positions);
        fill(cache.keys(), random);
        fill(cache.values(), random);
        float[] query = new float[rows * qDim];
        fill(query, random);
        int at = cache.reserve(rows, positions, positions);
        assertEquals(base, at);

        float[] out = new float[rows * qDim];
        try (Parallel two = new Parallel(2)) {
            AttentionKernel.attend(out, query, rows, heads, kvHeads, headDim, cache, base, two);
        }
        int group = heads / kvHeads;
        for (int r = 0; r < rows; r++) {
            for (int h = 0; h < heads; h++) {
                double[] expected = reference(query, r * qDim + h * headDim, cache.keys(), cache.values(), kvDim,
                        (h / group) * headDim, headDim, base + r + 1);
                for (int d = 0; d < headDim; d++) {
                    assertEquals(expected[d], out[r * qDim + h * headDim + d], 2e-5,
                            "row " + r + " head " + h + " d " + d);
                }
            }
        }
        float[] oneThread = new float[rows * qDim];
        float[] threeThreads = new float[rows * qDim];
        try (Parallel one = new Parallel(1); Parallel three = new Parallel(3)) {
            AttentionKernel.attend(oneThread, query, rows, heads, kvHeads, headDim, cache, base, one);
            AttentionKernel.attend(threeThreads, query, rows, heads, kvHeads, headDim, cache, base, three);
        }
        assertArrayEquals(out, oneThread, "bit for bit whatever the thread count");
        assertArrayEquals(out, threeThreads, "bit for bit whatever the thread count");
    }

    @ParameterizedTest(name = "rows={0} heads={1} headDim={2}")
    @CsvSource({"1, 1, 16", "17, 3, 24", "50, 2, 64"})
    void bidirectionalAttentionMatchesTheDefinition(int rows, int heads, int headDim) {
        int dim = heads * headDim;
        SplittableRandom random = new SplittableRandom(rows);
        float[] q = new float[rows * dim];
        float[] k = new float[rows * dim];
        float[] v = new float[rows * dim];
        fill(q, random);
        fill(k, random);
        fill(v, random);
        float[] out = new float[rows * dim];
        try (Parallel two = new Parallel(2)) {
            AttentionKernel.attendAll(out, q, k, v, rows, heads, headDim, two);
        }
        for (int r = 0; r < rows; r++) {
            for (int h = 0; h < heads; h++) {
                double[] expected = reference(q, r * dim + h * headDim, k, v, dim, h * headDim, headDim, rows);
                for (int d = 0; d < headDim; d++) {
                    assertEquals(expected[d], out[r * dim + h * headDim + d], 2e-5);
                }
            }
        }
    }

    private static double[] reference(float[] q, int qOffset, float[] keys, float[] values, int kvDim, int kvOffset,
                                      int headDim, int visible) {
        double[] scores = new double[visible];
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < visible; j++) {
            double s = 0;
            for (int d = 0; d < headDim; d++) {
                s += (double) q[qOffset + d] * keys[j * kvDim + kvOffset + d];
            }
            scores[j] = s / Math.sqrt(headDim);
            max = Math.max(max, scores[j]);
        }
        double sum = 0;
        for (int j = 0; j < visible; j++) {
            scores[j] = Math.exp(scores[j] - max);
            sum += scores[j];
        }
        double[] out = new double[headDim];
        for (int j = 0; j < visible; j++) {
            for (int d = 0; d < headDim; d++) {
                out[d] += scores[j] / sum * values[j * kvDim + kvOffset + d];
            }
        }
        return out;
    }

    private static void fill(float[] a, SplittableRandom random) {
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) (random.nextDouble() * 2 - 1);
        }
    }
}
