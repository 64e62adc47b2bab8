package dev.mod4j.tornado;

import dev.mod4j.loaders.config.ClipVisionConfig;
import dev.mod4j.runtime.backend.PatchColumns;
import dev.mod4j.runtime.backend.VisionEncoder;
import dev.mod4j.runtime.backend.VisionParts;
import uk.ac.manchester.tornado.api.common.TornadoDevice;

import java.util.function.BiConsumer;

/**
 * The vision tower and projector of a {@link TornadoBackend}: the task graphs of {@link EncoderTaskGraphs}, with the
 * im2col of the patches on the host. Calls are serialised on the backend, which the decoder's graphs use too.
 */
final class TornadoVisionEncoder implements VisionEncoder, AutoCloseable {
    private final ClipVisionConfig config;
    private final boolean hasProjector;
    private final EncoderTaskGraphs graphs;
    private final Object deviceLock;
    private long encoderLayersRun;
    private long projectorRuns;

    TornadoVisionEncoder(VisionParts parts, TornadoDevice device, boolean halfFloatDevice, Object deviceLock) {
        this.config = parts.config();
        this.hasProjector = parts.projector() != null;
        this.graphs = new EncoderTaskGraphs(parts, device, halfFloatDevice);
        this.deviceLock = deviceLock;
    }

    @Override
    public float[] hiddenState(float[] pixels, int index, BiConsumer<Integer, float[]> observer) {
        synchronized (deviceLock) {
            graphs.embed(PatchColumns.of(config, pixels));
            float[] state = null;
            if (observer != null) {
                state = graphs.download();
                observer.accept(0, state.clone());
            }
            for (int layer = 0; layer < index; layer++) {
                graphs.layer(layer);
                encoderLayersRun++;
                if (observer != null) {
                    state = graphs.download();
                    observer.accept(layer + 1, state.clone());
                }
            }
            return observer == null ? graphs.download() : state;
        }
    }

    @Override
    public float[] project(float[] features, int rows) {
        if (!hasProjector) {
            throw new IllegalStateException("this vision tower was loaded without a projector");
        }
        synchronized (deviceLock) {
            projectorRuns++;
            return graphs.project(features, rows);
        }
    }

    /** Encoder layers run on the device so far, over every image. */
    long encoderLayersRun() {
        synchronized (deviceLock) {
            return encoderLayersRun;
        }
    }

    long projectorRuns() {
        synchronized (deviceLock) {
            return projectorRuns;
        }
    }

    @Override
    public void close() {
        synchronized (deviceLock) {
            graphs.close();
        }
    }
}
