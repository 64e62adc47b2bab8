package dev.mod4j.tornado;

import dev.mod4j.loaders.config.LlamaConfig;
import dev.mod4j.runtime.model.DecoderLayerWeights;
import dev.mod4j.runtime.model.LlamaWeights;
import dev.mod4j.runtime.model.RotaryEmbedding;
import dev.mod4j.runtime.tensor.WeightMatrix;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;
import java.util.function.Function;

/**
 * The decoder's weights as the device holds them: float32, one buffer per kind of tensor with all layers back to
 * back ({@code q_proj} of layer L starts at {@code L * qDim * hidden}), so that one task graph serves every layer
 * and picks the layer by offset. F16 and BF16 checkpoints are widened to float here, once, at load.
 * Absent biases are zeros (adding 0 leaves every value unchanged).
 */
record DeviceWeights(FloatArray inputLayernorm, FloatArray qProj, FloatArray kProj, FloatArray vProj,
                     FloatArray oProj, FloatArray postAttentionLayernorm, FloatArray gateProj, FloatArray upProj,
                     FloatArray downProj, FloatArray qBias, FloatArray kBias, FloatArray vBias, FloatArray oBias,
                     FloatArray gateBias, FloatArray upBias, FloatArray downBias, FloatArray norm, FloatArray lmHead,
                     FloatArray ropeCos, FloatArray ropeSin) {

    private static final ValueLayout.OfFloat F32_LE =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16_LE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Every buffer, for the upload graph. */
    List<FloatArray> all() {
        return List.of(inputLayernorm, qProj, kProj, vProj, oProj, postAttentionLayernorm, gateProj, upProj, downProj,
                qBias, kBias, vBias, oBias, gateBias, upBias, downBias, norm, lmHead, ropeCos, ropeSin);
    }

    static DeviceWeights widen(LlamaConfig c, LlamaWeights w, RotaryEmbedding rope) {
        List<DecoderLayerWeights> layers = w.layers();
        int d = c.hiddenSize();
        int m = c.intermediateSize();
        return new DeviceWeights(
                vectors(layers, DecoderLayerWeights::inputLayernorm, d),
                matrices(layers, DecoderLayerWeights::qProj),
                matrices(layers, DecoderLayerWeights::kProj),
                matrices(layers, DecoderLayerWeights::vProj),
                matrices(layers, DecoderLayerWeights::oProj),
                vectors(layers, DecoderLayerWeights::postAttentionLayernorm, d),
                matrices(layers, DecoderLayerWeights::gateProj),
                matrices(layers, DecoderLayerWeights::upProj),
                matrices(layers, DecoderLayerWeights::downProj),
                vectors(layers, DecoderLayerWeights::qBias, c.qDim()),
                vectors(layers, DecoderLayerWeights::kBias, c.kvDim()),
                vectors(layers, DecoderLayerWeights::vBias, c.kvDim()),
                vectors(layers, DecoderLayerWeights::oBias, d),
                vectors(layers, DecoderLayerWeights::gateBias, m),
                vectors(layers, DecoderLayerWeights::upBias, m),
                vectors(layers, DecoderLayerWeights::downBias, d),
                FloatArray.fromArray(w.norm()),
                matrices(List.of(w.lmHead()), x -> x),
                ropeTable(c, rope, true),
                ropeTable(c, rope, false));
    }

    /** One matrix per layer, back to back, widened to float. */
    private static <T> FloatArray matrices(List<T> layers, Function<T, WeightMatrix> pick) {
        WeightMatrix first = pick.apply(layers.getFirst());
        long perLayer = (long) first.outFeatures() * first.inFeatures();
        long total = perLayer * layers.size();
        if (total > Integer.MAX_VALUE - 64) {
            throw new UnsupportedOperationException(first.name() + ": " + layers.size() + " layers of [" + first.outFeatures()
                    + " × " + first.inFeatures() + "] = " + total + " floats do not fit one TornadoVM FloatArray (at most "
                    + Integer.MAX_VALUE + " elements)");
        }
        FloatArray out = new FloatArray((int) total);
        MemorySegment dst = out.getSegment();
        for (int l = 0; l < layers.size(); l++) {
            widenInto(pick.apply(layers.get(l)), dst, l * perLayer * Float.BYTES);
        }
        return out;
    }

    /** One vector per layer (a norm weight or a bias; a missing bias is zeros). */
    private static FloatArray vectors(List<DecoderLayerWeights> layers, Function<DecoderLayerWeights, float[]> pick,
                                      int size) {
        FloatArray out = new FloatArray(layers.size() * size);
        MemorySegment dst = out.getSegment();
        for (int l = 0; l < layers.size(); l++) {
            float[] v = pick.apply(layers.get(l));
            if (v != null) {
                MemorySegment.copy(v, 0, dst, ValueLayout.JAVA_FLOAT, (long) l * size * Float.BYTES, size);
            }
        }
        return out;
    }

    /** Widens a checkpoint matrix (F32, F16 or BF16, little-endian) into float32 at {@code dstByteOffset}. */
    static void widenInto(WeightMatrix m, MemorySegment dst, long dstByteOffset) {
        MemorySegment src = m.data();
        long n = (long) m.outFeatures() * m.inFeatures();
        switch (m.dtype()) {
            case F32 -> {
                if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
                    MemorySegment.copy(src, 0, dst, dstByteOffset, n * Float.BYTES);
                } else {
                    for (long i = 0; i < n; i++) {
                        dst.set(ValueLayout.JAVA_FLOAT, dstByteOffset + i * Float.BYTES, src.get(F32_LE, i * Float.BYTES));
                    }
                }
            }
            case BF16 -> {
                for (long i = 0; i < n; i++) {
                    float v = Float.intBitsToFloat((src.get(U16_LE, i * 2) & 0xFFFF) << 16);
                    dst.set(ValueLayout.JAVA_FLOAT, dstByteOffset + i * Float.BYTES, v);
                }
            }
            case F16 -> {
                for (long i = 0; i < n; i++) {
                    float v = Float.float16ToFloat(src.get(U16_LE, i * 2));
                    dst.set(ValueLayout.JAVA_FLOAT, dstByteOffset + i * Float.BYTES, v);
                }
            }
            default -> throw new IllegalArgumentException(m.name() + ": element type " + m.dtype()
                    + " is not supported (F32, F16 or BF16)");
        }
    }

    /**
     * The rotary cos (or sin) table [positions × headDim/2], read back through {@link RotaryEmbedding#rotate}: rotating
     * a head whose first half is 1 and second half 0 to position p yields exactly cos(p·θ_j) in the first half and
     * sin(p·θ_j) in the second (1·c − 0·s = c, 0·c + 1·s = s), so the device uses the CPU's very tables.
     */
    private static FloatArray ropeTable(LlamaConfig c, RotaryEmbedding rope, boolean cosine) {
        int headDim = c.headDim();
        int half = headDim / 2;
        int positions = rope.maxPositions();
        FloatArray out = new FloatArray(positions * half);
        float[] unit = new float[headDim];
        for (int p = 0; p < positions; p++) {
            java.util.Arrays.fill(unit, 0, half, 1f);
            java.util.Arrays.fill(unit, half, headDim, 0f);
            rope.rotate(unit, 0, 1, p);
            for (int j = 0; j < half; j++) {
                out.set(p * half + j, cosine ? unit[j] : unit[half + j]);
            }
        }
        return out;
    }
}
