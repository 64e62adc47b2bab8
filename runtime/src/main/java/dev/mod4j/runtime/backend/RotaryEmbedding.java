package dev.mod4j.runtime.backend;

import dev.mod4j.loaders.config.ConfigException;
import dev.mod4j.loaders.config.LlamaConfig;
import dev.mod4j.loaders.config.RopeScaling;

/**
 * Rotary position embedding in HuggingFace's rotate-half convention, with cos/sin tables indexed by absolute position
 * (schedules that keep gapped original positions index it directly) for positions below
 * {@code max_position_embeddings}. The tables grow as positions are used: a config may claim millions of positions,
 * but only the context sessions actually reach is computed and held.
 *
 * <p>Tables are computed in float32 the way transformers does ({@code inv_freq = 1 / base^(2j/d)}, angle =
 * position × inv_freq, both rounded to float) so that logits match PyTorch closely at long positions too. Each
 * entry depends only on its position, so a grown table holds the same values as one computed whole.
 */
public final class RotaryEmbedding {
    /** Positions computed at first; tables then at least double when a later position is asked for. */
    private static final int INITIAL_POSITIONS = 256;

    private final int headDim;
    private final int half;
    private final int maxPositions;
    private final float[] invFreq;
    private final float positionScale;
    private volatile Tables tables;

    /** cos and sin of positions [0, positions), {@code half} entries each. */
    private record Tables(int positions, float[] cos, float[] sin) {
    }

    public RotaryEmbedding(LlamaConfig config, String configFile) {
        this.headDim = config.headDim();
        this.half = headDim / 2;
        this.maxPositions = config.maxPositionEmbeddings();
        this.invFreq = inverseFrequencies(config, configFile);
        RopeScaling scaling = config.ropeScaling();
        this.positionScale = scaling != null && scaling.type().equals("linear") ? (float) scaling.factor() : 1f;
        this.tables = compute(Math.min(maxPositions, INITIAL_POSITIONS));
    }

    private Tables compute(int positions) {
        float[] cos = new float[Math.multiplyExact(positions, half)];
        float[] sin = new float[cos.length];
        for (int p = 0; p < positions; p++) {
            float position = positionScale == 1f ? p : (float) p / positionScale;
            for (int j = 0; j < half; j++) {
                float angle = position * invFreq[j];
                cos[p * half + j] = (float) Math.cos(angle);
                sin[p * half + j] = (float) Math.sin(angle);
            }
        }
        return new Tables(positions, cos, sin);
    }

    /** Makes the tables cover positions [0, positions) (sessions call it with their capacity). */
    public synchronized void reserve(int positions) {
        if (positions > maxPositions) {
            throw new IllegalArgumentException("position " + (positions - 1) + " is beyond max_position_embeddings "
                    + maxPositions);
        }
        Tables current = tables;
        if (positions > current.positions()) {
            tables = compute((int) Math.min(maxPositions, Math.max(positions, 2L * current.positions())));
        }
    }

    private static float[] inverseFrequencies(LlamaConfig config, String configFile) {
        int dim = config.headDim();
        float[] inv = new float[dim / 2];
        for (int j = 0; j < inv.length; j++) {
            float exponent = (float) (2 * j) / (float) dim;
            inv[j] = 1.0f / (float) Math.pow(config.ropeTheta(), exponent);
        }
        RopeScaling scaling = config.ropeScaling();
        if (scaling == null) {
            return inv;
        }
        switch (scaling.type()) {
            case "linear" -> {
                // applied to positions, see the constructor
            }
            case "dynamic" -> {
                // Dynamic NTK changes the base only beyond max_position_embeddings, which mod4j never exceeds
                // (longer sequences are rejected), so within the context it equals the default.
            }
            case "llama3" -> applyLlama3(inv, scaling, configFile);
            default -> throw new ConfigException(configFile + ": rope_scaling.type",
                    "'" + scaling.type() + "' is not supported (supported: linear, dynamic, llama3)");
        }
        return inv;
    }

    /** Llama 3.1's frequency-dependent scaling (transformers' _compute_llama3_parameters). */
    private static void applyLlama3(float[] inv, RopeScaling s, String configFile) {
        if (s.originalMaxPositionEmbeddings() == null) {
            throw new ConfigException(configFile + ": rope_scaling.original_max_position_embeddings",
                    "required for llama3 rope scaling");
        }
        double oldContext = s.originalMaxPositionEmbeddings();
        double lowWavelen = oldContext / s.lowFreqFactor();
        double highWavelen = oldContext / s.highFreqFactor();
        for (int j = 0; j < inv.length; j++) {
            double wavelen = 2 * Math.PI / inv[j];
            if (wavelen > lowWavelen) {
                inv[j] = (float) (inv[j] / s.factor());
            } else if (wavelen >= highWavelen) {
                double smooth = (oldContext / wavelen - s.lowFreqFactor()) / (s.highFreqFactor() - s.lowFreqFactor());
                inv[j] = (float) ((1 - smooth) * inv[j] / s.factor() + smooth * inv[j]);
            }
        }
    }

    /** {@code max_position_embeddings}: the positions the tables may grow to. */
    public int maxPositions() {
        return maxPositions;
    }

    /** Rotates {@code heads} consecutive heads of {@code vector} (starting at {@code offset}) to {@code position}. */
    public void rotate(float[] vector, int offset, int heads, int position) {
        Tables t = tables;
        if (position >= t.positions()) {
            reserve(position + 1);
            t = tables;
        }
        float[] cos = t.cos();
        float[] sin = t.sin();
        int table = position * half;
        for (int h = 0; h < heads; h++) {
            int base = offset + h * headDim;
            for (int j = 0; j < half; j++) {
                float c = cos[table + j];
                float s = sin[table + j];
                float x1 = vector[base + j];
                float x2 = vector[base + j + half];
                vector[base + j] = x1 * c - x2 * s;
                vector[base + j + half] = x2 * c + x1 * s;
            }
        }
    }
}
