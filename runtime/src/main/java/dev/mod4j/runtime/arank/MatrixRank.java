package dev.mod4j.runtime.arank;

/**
 * Numerical rank as {@code torch.linalg.matrix_rank} computes it by default: the number of singular values above
 * {@code σ_max · max(m, n) · eps}, with eps the machine epsilon of the input's dtype (float32 for attention maps).
 *
 * <p>The singular values are the square roots of the eigenvalues of AᵀA, found in double precision by Householder
 * tridiagonalisation and the implicit QL algorithm. Squaring loses relative accuracy only below about
 * sqrt(n · 2⁻⁵²) ≈ 4e-7 · σ_max, far under the float32 threshold (≈ n · 1.2e-7 · σ_max) that decides the rank.
 */
public final class MatrixRank {
    public static final double FLOAT32_EPS = Math.ulp(1.0f);

    private MatrixRank() {
    }

    /** Rank of the n × n row-major matrix {@code a} with torch's default tolerance for a float32 input. */
    public static int rank(double[] a, int n) {
        double[] s = singularValues(a, n);
        double max = 0;
        for (double v : s) {
            max = Math.max(max, v);
        }
        double tolerance = max * n * FLOAT32_EPS;
        int rank = 0;
        for (double v : s) {
            if (v > tolerance) {
                rank++;
            }
        }
        return rank;
    }

    /** Singular values of the n × n row-major matrix {@code a} (unsorted). */
    public static double[] singularValues(double[] a, int n) {
        // Row k's nonzero span: attention maps are lower triangular, so this halves the work; skipped terms are 0.
        int[] rowEnd = new int[n];
        for (int k = 0; k < n; k++) {
            int end = n;
            while (end > 0 && a[k * n + end - 1] == 0) {
                end--;
            }
            rowEnd[k] = end;
        }
        double[] gram = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < n; k++) {
                double aki = a[k * n + i];
                if (aki == 0) {
                    continue;
                }
                int rowK = k * n;
                int rowI = i * n;
                for (int j = i; j < rowEnd[k]; j++) {
                    gram[rowI + j] += aki * a[rowK + j];
                }
            }
        }
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < i; j++) {
                gram[i * n + j] = gram[j * n + i];
            }
        }
        double[] eigen = symmetricEigenvalues(gram, n);
        for (int i = 0; i < n; i++) {
            eigen[i] = Math.sqrt(Math.max(0, eigen[i]));
        }
        return eigen;
    }

    /** Eigenvalues of a symmetric matrix (destroyed): Householder reduction to tridiagonal form, then implicit QL. */
    static double[] symmetricEigenvalues(double[] m, int n) {
        double[] d = new double[n];
        double[] e = new double[n];
        tridiagonalize(m, n, d, e);
        ql(d, e, n);
        return d;
    }

    private static void tridiagonalize(double[] a, int n, double[] d, double[] e) {
        for (int i = n - 1; i > 0; i--) {
            int l = i - 1;
            double h = 0;
            if (l > 0) {
                double scale = 0;
                for (int k = 0; k <= l; k++) {
                    scale += Math.abs(a[i * n + k]);
                }
                if (scale == 0) {
                    e[i] = a[i * n + l];
                } else {
                    for (int k = 0; k <= l; k++) {
                        a[i * n + k] /= scale;
                        h += a[i * n + k] * a[i * n + k];
                    }
                    double f = a[i * n + l];
                    double g = f >= 0 ? -Math.sqrt(h) : Math.sqrt(h);
                    e[i] = scale * g;
                    h -= f * g;
                    a[i * n + l] = f - g;
                    f = 0;
                    // The leading (l+1)² block is kept whole and symmetric (the update below writes both
                    // triangles with the same products), so this sum reads row j contiguously instead of walking
                    // column j; the terms and their order are those of the lower-triangle form.
                    for (int j = 0; j <= l; j++) {
                        g = 0;
                        for (int k = 0; k <= l; k++) {
                            g += a[j * n + k] * a[i * n + k];
                        }
                        e[j] = g / h;
                        f += e[j] * a[i * n + j];
                    }
                    double hh = f / (h + h);
                    for (int j = 0; j <= l; j++) {
                        e[j] -= hh * a[i * n + j];
                    }
                    for (int j = 0; j <= l; j++) {
                        f = a[i * n + j];
                        g = e[j];
                        for (int k = 0; k <= l; k++) {
                            a[j * n + k] -= f * e[k] + g * a[i * n + k];
                        }
                    }
                }
            } else {
                e[i] = a[i * n + l];
            }
            d[i] = h;
        }
        for (int i = 0; i < n; i++) {
            d[i] = a[i * n + i];
        }
        // Shift the off-diagonal so that e[i] couples d[i] and d[i+1].
        for (int i = 1; i < n; i++) {
            e[i - 1] = e[i];
        }
        e[n - 1] = 0;
    }

    private static void ql(double[] d, double[] e, int n) {
        for (int l = 0; l < n; l++) {
            int iterations = 0;
            int m;
            do {
                for (m = l; m < n - 1; m++) {
                    double dd = Math.abs(d[m]) + Math.abs(d[m + 1]);
                    if (Math.abs(e[m]) <= Math.ulp(dd)) {
                        break;
                    }
                }
                if (m != l) {
                    if (iterations++ == 60) {
                        throw new ArithmeticException("eigenvalue iteration did not converge");
                    }
                    double g = (d[l + 1] - d[l]) / (2 * e[l]);
                    double r = Math.hypot(g, 1);
                    g = d[m] - d[l] + e[l] / (g + Math.copySign(r, g));
                    double s = 1;
                    double c = 1;
                    double p = 0;
                    int i;
                    for (i = m - 1; i >= l; i--) {
                        double f = s * e[i];
                        double b = c * e[i];
                        r = Math.hypot(f, g);
                        e[i + 1] = r;
                        if (r == 0) {
                            d[i + 1] -= p;
                            e[m] = 0;
                            break;
                        }
                        s = f / r;
                        c = g / r;
                        g = d[i + 1] - p;
                        r = (d[i] - g) * s + 2 * c * b;
                        p = s * r;
                        d[i + 1] = g + p;
                        g = c * r - b;
                    }
                    if (r == 0 && i >= l) {
                        continue;
                    }
                    d[l] -= p;
                    e[l] = g;
                    e[m] = 0;
                }
            } while (m != l);
        }
    }
}
