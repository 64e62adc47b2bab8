package dev.mod4j.runtime.arank;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Singular values and ranks of matrices built with known singular values: A = U · diag(s) · Vᵀ. */
class MatrixRankTest {
    /** An orthogonal matrix: the product of a few random Householder reflections. */
    static double[] orthogonal(int n, SplittableRandom random) {
        double[] q = new double[n * n];
        for (int i = 0; i < n; i++) {
            q[i * n + i] = 1;
        }
        for (int reflection = 0; reflection < 4; reflection++) {
            double[] v = new double[n];
            double norm = 0;
            for (int i = 0; i < n; i++) {
                v[i] = random.nextDouble() - 0.5;
                norm += v[i] * v[i];
            }
            // Q ← Q (I − 2 v vᵀ / |v|²)
            for (int r = 0; r < n; r++) {
                double dot = 0;
                for (int c = 0; c < n; c++) {
                    dot += q[r * n + c] * v[c];
                }
                for (int c = 0; c < n; c++) {
                    q[r * n + c] -= 2 * dot * v[c] / norm;
                }
            }
        }
        return q;
    }

    static double[] withSingularValues(double[] s, long seed) {
        int n = s.length;
        SplittableRandom random = new SplittableRandom(seed);
        double[] u = orthogonal(n, random);
        double[] v = orthogonal(n, random);
        double[] a = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                for (int k = 0; k < n; k++) {
                    sum += u[i * n + k] * s[k] * v[j * n + k];
                }
                a[i * n + j] = sum;
            }
        }
        return a;
    }

    @Test
    void recoversKnownSingularValues() {
        double[] s = {5, 3, 2, 1, 0.5, 0.25, 1e-3, 0};
        double[] found = MatrixRank.singularValues(withSingularValues(s, 1), s.length);
        Arrays.sort(found);
        double[] expected = s.clone();
        Arrays.sort(expected);
        for (int i = 0; i < s.length; i++) {
            assertEquals(expected[i], found[i], 1e-9, "singular value " + i);
        }
    }

    @Test
    void rankCountsSingularValuesAboveTorchsFloat32Tolerance() {
        int n = 40;
        double tolerance = n * MatrixRank.FLOAT32_EPS; // relative to σ_max = 1
        double[] s = new double[n];
        for (int i = 0; i < n; i++) {
            s[i] = i < 25 ? 1.0 / (i + 1) : (i < 30 ? tolerance * 3 : tolerance / 3);
        }
        // 25 clear values + 5 just above the threshold count; 10 just below do not.
        assertEquals(30, MatrixRank.rank(withSingularValues(s, 7), n));
        double[] identity = new double[n * n];
        for (int i = 0; i < n; i++) {
            identity[i * n + i] = 1;
        }
        assertEquals(n, MatrixRank.rank(identity, n));
        assertEquals(0, MatrixRank.rank(new double[n * n], n));
    }

    @Test
    void strictlyLowerTriangularAttentionShapedMatrix() {
        // A causal probability matrix with the diagonal zeroed (what ARank looks at): rows sum ≤ 1, rank n − 1 when
        // every sub-diagonal entry is clearly non-zero.
        int n = 6;
        double[] a = new double[n * n];
        for (int i = 1; i < n; i++) {
            for (int j = 0; j < i; j++) {
                a[i * n + j] = 1.0 / (i + 1);
            }
            a[i * n + i - 1] += 0.3;
        }
        assertEquals(n - 1, MatrixRank.rank(a, n));
    }
}
