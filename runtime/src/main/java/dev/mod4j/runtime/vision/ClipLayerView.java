package dev.mod4j.runtime.vision;

import dev.mod4j.loaders.config.ClipVisionConfig;
import dev.mod4j.runtime.tensor.Linear;
import dev.mod4j.runtime.weights.ClipLayerWeights;

/**
 * One image at one CLIP encoder layer, as an {@link ImageReduction} sees it: the layer's output, and what its
 * attention computed, recomputed on the host from the layer's input only when asked (so a backend needs no change and
 * methods that do not ask pay nothing). The attention follows transformers' {@code CLIPAttention}: {@code LN1}, then
 * {@code q = q_proj(x)·d_h^−½}, {@code k = k_proj(x)}, softmax over all tokens (no mask).
 */
public final class ClipLayerView {
    private final ClipVisionConfig config;
    private final ClipLayerWeights weights;
    private final float[] input;
    private final float[] output;
    private final int tokens;
    private float[] normed;
    private float[] keys;

    /**
     * @param input  the layer's input hidden state, [tokens × hidden], class token first
     * @param output its output hidden state, the same shape
     */
    public ClipLayerView(ClipVisionConfig config, ClipLayerWeights weights, float[] input, float[] output) {
        this.config = config;
        this.weights = weights;
        this.input = input;
        this.output = output;
        this.tokens = input.length / config.hiddenSize();
    }

    public int tokens() {
        return tokens;
    }

    public int hiddenSize() {
        return config.hiddenSize();
    }

    public int heads() {
        return config.numAttentionHeads();
    }

    public int headDim() {
        return config.hiddenSize() / config.numAttentionHeads();
    }

    /** The layer's output, [tokens × hidden], class token first (read only). */
    public float[] output() {
        return output;
    }

    /** The class token's attention probabilities over every token (itself included), summed over heads. */
    public float[] classAttentionSummedOverHeads() {
        int d = hiddenSize();
        int hd = headDim();
        float[] k = keys();
        float[] query = project(weights.qProj(), normed(), 0);
        float scale = (float) Math.pow(hd, -0.5);
        float[] sum = new float[tokens];
        float[] scores = new float[tokens];
        for (int h = 0; h < heads(); h++) {
            float max = Float.NEGATIVE_INFINITY;
            for (int t = 0; t < tokens; t++) {
                float s = 0;
                for (int c = 0; c < hd; c++) {
                    s += query[h * hd + c] * scale * k[t * d + h * hd + c];
                }
                scores[t] = s;
                max = Math.max(max, s);
            }
            double total = 0;
            for (int t = 0; t < tokens; t++) {
                scores[t] = (float) Math.exp(scores[t] - max);
                total += scores[t];
            }
            for (int t = 0; t < tokens; t++) {
                sum[t] += (float) (scores[t] / total);
            }
        }
        return sum;
    }

    /** {@code k_proj(LN1(x))} averaged over heads, [tokens × head_dim]: VisionZip's "metric". */
    public float[] keysAveragedOverHeads() {
        int d = hiddenSize();
        int hd = headDim();
        float[] k = keys();
        float[] mean = new float[tokens * hd];
        for (int t = 0; t < tokens; t++) {
            for (int c = 0; c < hd; c++) {
                float s = 0;
                for (int h = 0; h < heads(); h++) {
                    s += k[t * d + h * hd + c];
                }
                mean[t * hd + c] = s / heads();
            }
        }
        return mean;
    }

    private float[] keys() {
        if (keys == null) {
            // One weight row at a time, against every token: each weight is read once.
            Linear k = weights.kProj();
            int d = hiddenSize();
            int in = k.inFeatures();
            float[] x = normed();
            float[] row = new float[in];
            keys = new float[tokens * d];
            for (int o = 0; o < d; o++) {
                for (int c = 0; c < in; c++) {
                    row[c] = k.weight().get(o, c);
                }
                float bias = k.bias() == null ? 0 : k.bias()[o];
                for (int t = 0; t < tokens; t++) {
                    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                    int c = 0;
                    for (int at = t * in; c + 3 < in; c += 4) {
                        s0 += row[c] * x[at + c];
                        s1 += row[c + 1] * x[at + c + 1];
                        s2 += row[c + 2] * x[at + c + 2];
                        s3 += row[c + 3] * x[at + c + 3];
                    }
                    for (; c < in; c++) {
                        s0 += row[c] * x[t * in + c];
                    }
                    keys[t * d + o] = (s0 + s1) + (s2 + s3) + bias;
                }
            }
        }
        return keys;
    }

    private float[] normed() {
        if (normed == null) {
            int d = hiddenSize();
            normed = new float[tokens * d];
            float[] w = weights.layerNorm1Weight();
            float[] b = weights.layerNorm1Bias();
            for (int t = 0; t < tokens; t++) {
                double mean = 0;
                for (int c = 0; c < d; c++) {
                    mean += input[t * d + c];
                }
                mean /= d;
                double variance = 0;
                for (int c = 0; c < d; c++) {
                    double x = input[t * d + c] - mean;
                    variance += x * x;
                }
                variance /= d;
                double inv = 1 / Math.sqrt(variance + config.layerNormEps());
                for (int c = 0; c < d; c++) {
                    normed[t * d + c] = (float) ((input[t * d + c] - mean) * inv) * w[c] + b[c];
                }
            }
        }
        return normed;
    }

    /** {@code linear(x[row])} for one row of {@code x} [tokens × in]. */
    private static float[] project(Linear linear, float[] x, int row) {
        int in = linear.inFeatures();
        float[] y = new float[linear.outFeatures()];
        for (int o = 0; o < y.length; o++) {
            float s = 0;
            for (int c = 0; c < in; c++) {
                s += linear.weight().get(o, c) * x[row * in + c];
            }
            y[o] = linear.bias() == null ? s : s + linear.bias()[o];
        }
        return y;
    }
}
