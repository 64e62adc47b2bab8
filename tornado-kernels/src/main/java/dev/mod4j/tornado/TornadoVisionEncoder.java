package dev.mod4j.tornado;

import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.config.ClipVisionConfig;
import dev.mod4j.loaders.config.LlavaHrConfig;
import dev.mod4j.loaders.config.MiniGeminiConfig;
import dev.mod4j.runtime.backend.HighResolutionEncoder;
import dev.mod4j.runtime.backend.PatchColumns;
import dev.mod4j.runtime.backend.VisionEncoder;
import dev.mod4j.runtime.backend.VisionParts;
import dev.mod4j.runtime.cpu.CpuLlavaHrEncoder;
import dev.mod4j.runtime.cpu.CpuMiniGeminiEncoder;
import dev.mod4j.runtime.weights.ConvNextWeights;
import dev.mod4j.runtime.weights.MultiPathFusionWeights;
import dev.mod4j.runtime.weights.PatchInfoMiningWeights;
import uk.ac.manchester.tornado.api.common.TornadoDevice;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * The vision tower and projector of a {@link TornadoBackend}: the task graphs of {@link EncoderTaskGraphs}, with the
 * im2col of the patches on the host; and the dual-encoder sides built on them (LLaVA-HR, Mini-Gemini-HD), whose
 * ConvNeXt trunks run as {@link ConvNextTaskGraphs}. Calls are serialised on the backend, which the decoder's graphs
 * use too. The tower's graphs are built on first use, so that LLaVA-HR's can extend them (one upload of the tower).
 */
final class TornadoVisionEncoder implements VisionEncoder, AutoCloseable {
    private final VisionParts parts;
    private final ClipVisionConfig config;
    private final boolean hasProjector;
    private final TornadoDevice device;
    private final boolean halfFloatDevice;
    private final Object deviceLock;
    private EncoderTaskGraphs graphs;
    private final List<ConvNextTaskGraphs> trunks = new ArrayList<>();
    private long encoderLayersRun;
    private long projectorRuns;

    TornadoVisionEncoder(VisionParts parts, TornadoDevice device, boolean halfFloatDevice, Object deviceLock) {
        this.parts = parts;
        this.config = parts.config();
        this.hasProjector = parts.projector() != null;
        this.device = device;
        this.halfFloatDevice = halfFloatDevice;
        this.deviceLock = deviceLock;
    }

    private EncoderTaskGraphs graphs() {
        if (graphs == null) {
            graphs = new EncoderTaskGraphs(parts, device, halfFloatDevice);
        }
        return graphs;
    }

    @Override
    public float[] hiddenState(float[] pixels, int index, BiConsumer<Integer, float[]> observer) {
        synchronized (deviceLock) {
            EncoderTaskGraphs graphs = graphs();
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
            EncoderTaskGraphs graphs = graphs();
            int capacity = graphs.projectorRows();
            if (rows <= capacity) {
                return graphs.project(features, rows);
            }
            // More rows than the buffers hold (Mini-Gemini's 5 views): the projector is row-wise, so in chunks.
            int in = features.length / rows;
            float[] out = null;
            for (int first = 0; first < rows; first += capacity) {
                int count = Math.min(capacity, rows - first);
                float[] chunk = graphs.project(java.util.Arrays.copyOfRange(features, first * in, (first + count) * in),
                        count);
                int width = chunk.length / count;
                if (out == null) {
                    out = new float[Math.multiplyExact(rows, width)];
                }
                System.arraycopy(chunk, 0, out, first * width, chunk.length);
            }
            return out;
        }
    }

    /**
     * LLaVA-HR on the device: the slow ConvNeXt's graphs, and this tower's graphs rebuilt with the fast branch's
     * embeddings, MR-adapters and fusion ({@link LlavaHrTaskGraphs}).
     */
    @Override
    public HighResolutionEncoder llavaHr(LlavaHrConfig hr, ConvNextWeights slow, MultiPathFusionWeights fusion) {
        ClipVisionConfig fastClip = CpuLlavaHrEncoder.fastTowerConfig(hr, config, slow);
        requireWholeStride("input_image_size", hr.inputImageSize(), slow);
        synchronized (deviceLock) {
            LlavaHrTaskGraphs fastBranch = new LlavaHrTaskGraphs(fusion, fastClip.patchesPerSide(),
                    config.hiddenSize(), config.numChannels() * config.patchSize() * config.patchSize(),
                    CpuLlavaHrEncoder.resampledPositions(config, parts.tower().positionEmbedding(),
                            fastClip.patchesPerSide()));
            if (graphs != null) {
                graphs.close();
            }
            graphs = new EncoderTaskGraphs(parts, device, halfFloatDevice, fastBranch);
            ConvNextTaskGraphs trunk = new ConvNextTaskGraphs(slow, hr.inputImageSize(), device, halfFloatDevice,
                    deviceLock);
            trunks.add(trunk);
            return new TornadoLlavaHrEncoder(hr, fastClip, trunk, graphs, fastBranch, this, deviceLock);
        }
    }

    /**
     * Mini-Gemini-HD: the CLIP views through this tower's graphs; the auxiliary ConvNeXt and patch info mining as one
     * plan ({@link ConvNextTaskGraphs} extended with {@link MiniGeminiTaskGraphs}).
     */
    @Override
    public HighResolutionEncoder miniGemini(MiniGeminiConfig mgm, int hiddenStateIndex, ConvNextWeights aux,
                                            PatchInfoMiningWeights mining) {
        return miniGemini(mgm, hiddenStateIndex, aux, mining, MiniGeminiTaskGraphs.WINDOW_VALUES_PER_CHUNK);
    }

    /** As above, mining in chunks of at most {@code windowValuesPerChunk} window values. */
    TornadoMiniGeminiEncoder miniGemini(MiniGeminiConfig mgm, int hiddenStateIndex, ConvNextWeights aux,
                                        PatchInfoMiningWeights mining, long windowValuesPerChunk) {
        CpuMiniGeminiEncoder.MiningShape shape = CpuMiniGeminiEncoder.MiningShape.of(mgm, config, aux, mining);
        synchronized (deviceLock) {
            MiniGeminiTaskGraphs miningGraphs = new MiniGeminiTaskGraphs(mgm, config, aux, mining, shape,
                    windowValuesPerChunk);
            ConvNextTaskGraphs trunk = new ConvNextTaskGraphs(aux, mgm.imageSizeAux(), device, halfFloatDevice,
                    deviceLock, miningGraphs);
            trunks.add(trunk);
            return new TornadoMiniGeminiEncoder(mgm, config, this, hiddenStateIndex, trunk, miningGraphs, deviceLock);
        }
    }

    private static void requireWholeStride(String field, int size, ConvNextWeights trunk) {
        if (size % trunk.stride() != 0) {
            throw new InvalidInputException(field, size + " is not a multiple of " + trunk.stride()
                    + " (the ConvNeXt's stride)");
        }
    }

    void countEncoderLayers(int layers) {
        encoderLayersRun += layers;
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

    /** Images run through a ConvNeXt trunk on the device so far (LLaVA-HR's slow branch, Mini-Gemini's aux tower). */
    long convNextImagesRun() {
        synchronized (deviceLock) {
            return trunks.stream().mapToLong(ConvNextTaskGraphs::imagesRun).sum();
        }
    }

    @Override
    public void close() {
        synchronized (deviceLock) {
            if (graphs != null) {
                graphs.close();
                graphs = null;
            }
            trunks.forEach(ConvNextTaskGraphs::close);
            trunks.clear();
        }
    }
}
