package dev.mod4j.tornado;

import dev.mod4j.loaders.config.LlamaConfig;
import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.runtime.weights.DecoderLayerWeights;
import dev.mod4j.runtime.weights.LlamaWeights;
import dev.mod4j.runtime.backend.RotaryEmbedding;
import dev.mod4j.runtime.tensor.Linear;
import dev.mod4j.runtime.tensor.WeightMatrix;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.HalfFloatArray;
import uk.ac.manchester.tornado.api.types.arrays.TornadoNativeArray;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;
import java.util.function.Function;

/**
 * The decoder's weights as the device holds them, one buffer per kind of tensor with all layers back to back
 * ({@code q_proj} of layer L starts at {@code L * qDim * hidden}), so that one task graph serves every layer and
 * picks the layer by offset. The matrices are in {@link #precision}: a {@code FloatArray} each for F32 (F16 and BF16
 * checkpoints widened here, once, at load), a {@code HalfFloatArray} each for F16 (the checkpoint's half values as
 * they are). Norm weights, biases and rotary tables are float32. Absent biases are zeros (adding 0 leaves every value
 * unchanged). They are read from the checkpoint's row-major views, as every backend receives them.
 */
record DeviceWeights(WeightPrecision precision, FloatArray inputLayernorm, TornadoNativeArray qProj,
                     TornadoNativeArray kProj, TornadoNativeArray vProj, TornadoNativeArray oProj,
                     FloatArray postAttentionLayernorm, TornadoNativeArray gateProj, TornadoNativeArray upProj,
                     TornadoNativeArray downProj, FloatArray qBias, FloatArray kBias, FloatArray vBias, FloatArray oBias,
                     FloatArray gateBias, FloatArray upBias, FloatArray downBias, FloatArray norm,
                     TornadoNativeArray lmHead, FloatArray ropeCos, FloatArray ropeSin) {

    private static final ValueLayout.OfFloat F32_LE =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16_LE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Every buffer, for the upload graph. */
    List<TornadoNativeArray> all() {
        return List.of(inputLayernorm, qProj, kProj, vProj, oProj, postAttentionLayernorm, gateProj, upProj, downProj,
                qBias, kBias, vBias, oBias, gateBias, upBias, downBias, norm, lmHead, ropeCos, ropeSin);
    }

    /** The weights in {@code precision} (see {@link WeightPrecision#forDevice}); F16 requires an F16 checkpoint. */
    static DeviceWeights load(LlamaConfig c, LlamaWeights w, RotaryEmbedding rope, WeightPrecision precision) {
        if (precision == WeightPrecision.F16 && WeightPrecision.checkpointMatrices(w) != DType.F16) {
            throw new IllegalArgumentException("half weights on the device need an F16 checkpoint; its matrices are "
                    + WeightPrecision.checkpointMatrices(w));
        }
        List<DecoderLayerWeights> layers = w.layers();
        int d = c.hiddenSize();
        int m = c.intermediateSize();
        return new DeviceWeights(
                precision,
                vectors(layers, DecoderLayerWeights::inputLayernorm, d),
                matrices(layers, l -> l.qProj().weight(), precision),
                matrices(layers, l -> l.kProj().weight(), precision),
                matrices(layers, l -> l.vProj().weight(), precision),
                matrices(layers, l -> l.oProj().weight(), precision),
                vectors(layers, DecoderLayerWeights::postAttentionLayernorm, d),
                matrices(layers, l -> l.gateProj().weight(), precision),
                matrices(layers, l -> l.upProj().weight(), precision),
                matrices(layers, l -> l.downProj().weight(), precision),
                biases(layers, DecoderLayerWeights::qProj, c.qDim()),
                biases(layers, DecoderLayerWeights::kProj, c.kvDim()),
                biases(layers, DecoderLayerWeights::vProj, c.kvDim()),
                biases(layers, DecoderLayerWeights::oProj, d),
                biases(layers, DecoderLayerWeights::gateProj, m),
                biases(layers, DecoderLayerWeights::upProj, m),
                biases(layers, DecoderLayerWeights::downProj, d),
                FloatArray.fromArray(w.norm()),
                matrices(List.of(w.lmHead()), x -> x, precision),
                ropeTable(c, rope, true),
                ropeTable(c, rope, false));
    }

    /** One matrix per layer, back to back: widened to float, or F16 values as they are. */
    static <T> TornadoNativeArray matrices(List<T> layers, Function<T, WeightMatrix> pick,
                                                   WeightPrecision precision) {
        WeightMatrix first = pick.apply(layers.getFirst());
        long perLayer = (long) first.outFeatures() * first.inFeatures();
        long total = perLayer * layers.size();
        if (total > Integer.MAX_VALUE - 64) {
            throw new UnsupportedOperationException(first.name() + ": " + layers.size() + " layers of [" + first.outFeatures()
                    + " × " + first.inFeatures() + "] = " + total + " floats do not fit one TornadoVM FloatArray (at most "
                    + Integer.MAX_VALUE + " elements)");
        }
        if (precision == WeightPrecision.F16) {
            HalfFloatArray half = new HalfFloatArray((int) total);
            MemorySegment dst = half.getSegment();
            for (int l = 0; l < layers.size(); l++) {
                copyHalf(pick.apply(layers.get(l)), dst, l * perLayer * Short.BYTES);
            }
            return half;
        }
        FloatArray out = new FloatArray((int) total);
        MemorySegment dst = out.getSegment();
        for (int l = 0; l < layers.size(); l++) {
            widenInto(pick.apply(layers.get(l)), dst, l * perLayer * Float.BYTES);
        }
        return out;
    }

    /** One vector per layer (a norm weight or a bias; a missing bias is zeros). */
    static <T> FloatArray vectors(List<T> layers, Function<T, float[]> pick, int size) {
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

    /** The biases of one projection of every layer, back to back (zeros for a layer without). */
    static <T> FloatArray biases(List<T> layers, Function<T, Linear> pick, int size) {
        return vectors(layers, l -> pick.apply(l).bias(), size);
    }

    /**
     * A backend receives the checkpoint's row-major views; an interleaved matrix means another backend rearranged
     * this memory (the CPU's decode layout), and copying it as rows would upload garbage.
     */
    private static void requireRowMajor(WeightMatrix m) {
        if (m.interleaved()) {
            throw new IllegalArgumentException(m.name() + ": interleaved for another backend's kernels; the TornadoVM"
                    + " backend reads the checkpoint's row-major weights (build it from its own opened model files)");
        }
    }

    /** Copies an F16 checkpoint matrix (little-endian) as it is into a half buffer at {@code dstByteOffset}. */
    static void copyHalf(WeightMatrix m, MemorySegment dst, long dstByteOffset) {
        requireRowMajor(m);
        MemorySegment src = m.data();
        long n = (long) m.outFeatures() * m.inFeatures();
        if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
            MemorySegment.copy(src, 0, dst, dstByteOffset, n * Short.BYTES);
        } else {
            for (long i = 0; i < n; i++) {
                dst.set(ValueLayout.JAVA_SHORT, dstByteOffset + i * Short.BYTES, src.get(U16_LE, i * Short.BYTES));
            }
        }
    }

    /** Widens a checkpoint matrix (F32, F16 or BF16, little-endian) into float32 at {@code dstByteOffset}. */
    static void widenInto(WeightMatrix m, MemorySegment dst, long dstByteOffset) {
        requireRowMajor(m);
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
        rope.reserve(positions);
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
