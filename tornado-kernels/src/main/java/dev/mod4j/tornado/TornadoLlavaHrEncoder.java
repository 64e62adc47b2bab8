package dev.mod4j.tornado;

import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.config.ClipVisionConfig;
import dev.mod4j.loaders.config.LlavaHrConfig;
import dev.mod4j.runtime.backend.HighResolutionEncoder;
import dev.mod4j.runtime.backend.PatchColumns;
import dev.mod4j.runtime.vision.Interpolation;

import java.util.function.BiConsumer;

/**
 * LLaVA-HR's dual-branch tower on the device (see {@link dev.mod4j.runtime.cpu.CpuLlavaHrEncoder} for the same
 * mathematics on the CPU): the slow ConvNeXt's plan ({@link ConvNextTaskGraphs}), then the CLIP tower's plan extended
 * with {@link LlavaHrTaskGraphs}: embeddings, four groups of encoder layers with an MR-adapter after each of the first
 * three, the final fusion. On the host: the bilinear resize of the image to the fast side and both branches' im2col
 * (as for CLIP), and the slow map between the two plans (TornadoVM shares buffers only among the graphs of one plan).
 */
final class TornadoLlavaHrEncoder implements HighResolutionEncoder {
    private final LlavaHrConfig config;
    private final ClipVisionConfig fastClip;
    private final ConvNextTaskGraphs slow;
    private final EncoderTaskGraphs encoder;
    private final LlavaHrTaskGraphs hr;
    private final TornadoVisionEncoder counters;
    private final Object deviceLock;

    TornadoLlavaHrEncoder(LlavaHrConfig config, ClipVisionConfig fastClip, ConvNextTaskGraphs slow,
                          EncoderTaskGraphs encoder, LlavaHrTaskGraphs hr, TornadoVisionEncoder counters,
                          Object deviceLock) {
        this.config = config;
        this.fastClip = fastClip;
        this.slow = slow;
        this.encoder = encoder;
        this.hr = hr;
        this.counters = counters;
        this.deviceLock = deviceLock;
    }

    @Override
    public int imageSize() {
        return config.inputImageSize();
    }

    @Override
    public int featureRows() {
        return fastClip.patchCount();
    }

    @Override
    public int featureWidth() {
        return fastClip.hiddenSize();
    }

    @Override
    public float[] features(float[] pixels) {
        return features(pixels, null);
    }

    /**
     * As {@link #features(float[])}; {@code observer} (may be null) sees the intermediate results the CPU encoder
     * names ({@link dev.mod4j.runtime.cpu.CpuLlavaHrEncoder#features(float[], BiConsumer)}): "slow", "fast.embeddings",
     * "fast.group.N" (after group N and its adapter), each downloaded for it.
     */
    float[] features(float[] pixels, BiConsumer<String, float[]> observer) {
        int size = config.inputImageSize();
        if (pixels.length != 3 * size * size) {
            throw new InvalidInputException("pixel values", "expected [3, " + size + ", " + size + "] = "
                    + 3 * size * size + " floats, got " + pixels.length);
        }
        int fast = fastClip.imageSize();
        float[] fastColumns = PatchColumns.of(fastClip, Interpolation.bilinearAlignCorners(pixels, 3, size, size, fast,
                fast));
        synchronized (deviceLock) {
            float[] slowMap = slow.forward(pixels, size, null);
            hr.embed(encoder, fastColumns, slowMap);
            int rows = fastClip.patchCount();
            if (observer != null) {
                observer.accept("slow", slowMap.clone());
                observer.accept("fast.embeddings", encoder.download(rows));
            }
            int layers = fastClip.numHiddenLayers();
            int perGroup = layers / 4;
            // γ-MoD's forward runs every CLIP layer (the last one's output, whatever mm_vision_select_layer says).
            for (int g = 0; g < 4; g++) {
                for (int layer = g * perGroup; layer < (g + 1) * perGroup; layer++) {
                    encoder.layer(layer, rows);
                }
                counters.countEncoderLayers(perGroup);
                if (g < 3 && g < hr.adapterCount()) {
                    hr.adapt(encoder, g);
                }
                if (observer != null) {
                    observer.accept("fast.group." + g, encoder.download(rows));
                }
            }
            return hr.fuse(encoder);
        }
    }
}
