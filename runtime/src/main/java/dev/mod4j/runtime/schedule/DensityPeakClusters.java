package dev.mod4j.runtime.schedule;

import java.util.Arrays;

/**
 * SparseVLM's clustering of recycled tokens: density peaks over k nearest neighbours (DPC-KNN, from TCFormer), as
 * {@code cluster_and_merge} in {@code llava/model/language_model/utils.py} of Gumpest/SparseVLMs at 26a5f48. With
 * distances d(i, j) = ‖x_i − x_j‖ / √C: density ρ_i = exp(−mean of the squared distances to its k nearest rows,
 * itself included); δ_i = the distance to the nearest row of higher density (the largest distance of all for the
 * densest); the k rows with the largest ρ·δ are the centres, in that order; every other row joins its nearest
 * centre. The released code adds noise below 1e-6 to ρ to break ties; this does not (ties go to the lower row).
 */
final class DensityPeakClusters {
    private DensityPeakClusters() {
    }

    /**
     * @param centres      the centre rows, by descending ρ·δ (the order of the merged tokens)
     * @param clusterOfRow per row, the index of its centre in {@code centres}
     */
    record Clusters(int[] centres, int[] clusterOfRow) {
        /** The rows of cluster {@code c}, ascending. */
        int[] members(int c) {
            return java.util.stream.IntStream.range(0, clusterOfRow.length).filter(r -> clusterOfRow[r] == c).toArray();
        }
    }

    /** Clusters the {@code n} rows of {@code x} ([n × dim], row-major) into {@code k} clusters (1 ≤ k ≤ n). */
    static Clusters of(float[] x, int n, int dim, int k) {
        if (k < 1 || k > n) {
            throw new IllegalArgumentException("cannot make " + k + " clusters of " + n + " rows");
        }
        double[][] distance = new double[n][n];
        double largest = 0;
        double scale = Math.sqrt(dim);
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                double squares = 0;
                for (int c = 0; c < dim; c++) {
                    double diff = (double) x[i * dim + c] - x[j * dim + c];
                    squares += diff * diff;
                }
                distance[i][j] = distance[j][i] = Math.sqrt(squares) / scale;
                largest = Math.max(largest, distance[i][j]);
            }
        }
        double[] density = new double[n];
        for (int i = 0; i < n; i++) {
            double[] sorted = distance[i].clone();
            Arrays.sort(sorted);
            double meanSquare = 0;
            for (int j = 0; j < k; j++) {
                meanSquare += sorted[j] * sorted[j];
            }
            density[i] = Math.exp(-meanSquare / k);
        }
        double[] score = new double[n];
        int[] rows = new int[n];
        for (int i = 0; i < n; i++) {
            double delta = largest;
            for (int j = 0; j < n; j++) {
                // Equal densities (mutual nearest neighbours): the released noise picks one; the earlier row here.
                if (density[j] > density[i] || density[j] == density[i] && j < i) {
                    delta = Math.min(delta, distance[i][j]);
                }
            }
            score[i] = delta * density[i];
            rows[i] = i;
        }
        int[] centres = Arrays.stream(rows).boxed()
                .sorted((a, b) -> {
                    int c = Double.compare(score[b], score[a]);
                    return c != 0 ? c : Integer.compare(a, b);
                })
                .limit(k).mapToInt(Integer::intValue).toArray();
        int[] clusterOfRow = new int[n];
        for (int j = 0; j < n; j++) {
            int nearest = 0;
            for (int c = 1; c < k; c++) {
                if (distance[centres[c]][j] < distance[centres[nearest]][j]) {
                    nearest = c;
                }
            }
            clusterOfRow[j] = nearest;
        }
        for (int c = 0; c < k; c++) {
            clusterOfRow[centres[c]] = c;
        }
        return new Clusters(centres, clusterOfRow);
    }
}
