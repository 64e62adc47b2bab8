package dev.mod4j.tornado;

import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.config.ClipVisionConfig;
import dev.mod4j.loaders.config.MiniGeminiConfig;
import dev.mod4j.runtime.backend.HighResolutionEncoder;
import dev.mod4j.runtime.backend.VisionEncoder;
import dev.mod4j.runtime.cpu.CpuMiniGeminiEncoder;

/**
 * Mini-Gemini-HD's vision side on the device (see {@link CpuMiniGeminiEncoder} for the same mathematics on the CPU):
 * the views are cut on the host (resizes of the preprocessed image), the CLIP tower runs over them in its own plan
 * ({@link EncoderTaskGraphs}), the auxiliary ConvNeXt and patch info mining in another ({@link ConvNextTaskGraphs}
 * with {@link MiniGeminiTaskGraphs}), so the stage maps stay on the device and only the views' CLIP rows cross
 * between the two plans (TornadoVM shares buffers only among the graphs of one plan).
 */
final class TornadoMiniGeminiEncoder implements HighResolutionEncoder {
    private final MiniGeminiConfig config;
    private final ClipVisionConfig clip;
    private final VisionEncoder clipTower;
    private final int hiddenStateIndex;
    private final ConvNextTaskGraphs trunk;
    private final MiniGeminiTaskGraphs mining;
    private final Object deviceLock;

    TornadoMiniGeminiEncoder(MiniGeminiConfig config, ClipVisionConfig clip, VisionEncoder clipTower,
                             int hiddenStateIndex, ConvNextTaskGraphs trunk, MiniGeminiTaskGraphs mining,
                             Object deviceLock) {
        this.config = config;
        this.clip = clip;
        this.clipTower = clipTower;
        this.hiddenStateIndex = hiddenStateIndex;
        this.trunk = trunk;
        this.mining = mining;
        this.deviceLock = deviceLock;
    }

    @Override
    public int imageSize() {
        return config.imageSizeAux();
    }

    @Override
    public int featureRows() {
        return config.views() * clip.patchCount();
    }

    @Override
    public int featureWidth() {
        return clip.hiddenSize();
    }

    @Override
    public float[] features(float[] pixels) {
        int size = config.imageSizeAux();
        if (pixels.length != 3 * size * size) {
            throw new InvalidInputException("pixel values", "expected [3, " + size + ", " + size + "] = "
                    + 3 * size * size + " floats, got " + pixels.length);
        }
        float[][] views = CpuMiniGeminiEncoder.lowResolutionViews(config, clip, pixels);
        int d = clip.hiddenSize();
        int tokens = clip.patchCount();
        int grid = config.imageGrid();
        float[] out = new float[Math.multiplyExact(featureRows(), d)];
        synchronized (deviceLock) {
            float[] states = clipTower.hiddenStates(views, hiddenStateIndex);
            trunk.forwardKeepingStages(pixels);
            // Rows ordered [global view, tiles] (torch.cat([image_feat_global, image_features])); the global view is
            // the last one through CLIP.
            int row = 0;
            if (config.imageGlobal()) {
                mineView(states, grid * grid, out, row);
                row += tokens;
            }
            for (int view = 0; view < grid * grid; view++) {
                mineView(states, view, out, row);
                row += tokens;
            }
        }
        return out;
    }

    private void mineView(float[] states, int view, float[] out, int outRow) {
        int d = clip.hiddenSize();
        int tokens = clip.patchCount();
        // The view's rows without the class token.
        int firstRow = view * (tokens + 1) + 1;
        for (int first = 0; first < tokens; first += mining.chunkTokens()) {
            int count = Math.min(mining.chunkTokens(), tokens - first);
            mining.mine(trunk, view, first, count, states, (firstRow + first) * d, out, (outRow + first) * d);
        }
    }
}
