package dev.mod4j.runtime.cpu;

import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.config.ClipVisionConfig;
import dev.mod4j.loaders.config.LlavaHrConfig;
import dev.mod4j.runtime.backend.PatchColumns;
import dev.mod4j.runtime.backend.VisionParts;
import dev.mod4j.runtime.tensor.Linear;
import dev.mod4j.runtime.backend.HighResolutionEncoder;
import dev.mod4j.runtime.vision.Interpolation;
import dev.mod4j.runtime.weights.ClipVisionWeights;
import dev.mod4j.runtime.weights.ConvNextWeights;
import dev.mod4j.runtime.weights.MultiPathFusionWeights;

import java.util.function.BiConsumer;

/**
 * LLaVA-HR's multipath vision tower on the CPU, as γ-MoD's {@code MultiPathCLIPVisionTower.forward} computes it
 * (Yaxin9Luo/Gamma-MOD@5de27f2, gamma_mod/model/multimodal_encoder/multipath_encoder_wapper.py, the same code as
 * luogen1996/LLaVA-HR's):
 * <ol>
 *   <li>slow branch: the ConvNeXt trunk on the full image (1024 px → a 32×32 map of 1536 channels);</li>
 *   <li>fast branch: the image resized bilinearly (align_corners) to {@code max(size/32·14, 336)} = 448 px, CLIP's
 *   patch embedding with its position embeddings resampled bicubically (antialiased) from 24×24 to 32×32
 *   (clip_encoder.py's {@code resample_pos_embed}), the class token's row dropped before {@code pre_layrnorm};</li>
 *   <li>the CLIP layers in four equal groups, an MR-adapter ({@code S2FStitchAlignModuleV2}) after each of the first
 *   three: {@code fast += fast_proj(gelu(dwconv7(fast)))}, then {@code fast += slow_proj(gelu(slow_conv(slow))) ·
 *   tanh(gate(mean(concat(fast, slow))))};</li>
 *   <li>the final fusion ({@code MultiPathAlignModule}): {@code fast_proj(fast) + slow_proj(slow)}.</li>
 * </ol>
 * The fast branch runs every CLIP layer: its output is the last layer's, whatever {@code mm_vision_select_layer}
 * says. Both maps must be the same size (true for every input of 768 px or more; the released models take 1024).
 */
public final class CpuLlavaHrEncoder implements HighResolutionEncoder {
    private final LlavaHrConfig config;
    private final ClipVisionConfig clip;
    private final ClipVisionConfig fastClip;
    private final ClipVisionWeights clipWeights;
    private final CpuVisionEncoder clipLayers;
    private final CpuConvNextEncoder slow;
    private final MultiPathFusionWeights fusion;
    private final Parallel parallel;
    /** CLIP's patch position embeddings resampled to the fast branch's grid, [grid² × hidden]. */
    private final float[] fastPositions;
    private final int grid;

    public CpuLlavaHrEncoder(LlavaHrConfig config, VisionParts fastTower, CpuConvNextEncoder slow,
                             MultiPathFusionWeights fusion, Parallel parallel) {
        this.config = config;
        this.clip = fastTower.config();
        this.clipWeights = fastTower.tower();
        this.slow = slow;
        this.fusion = fusion;
        this.parallel = parallel;
        this.clipLayers = new CpuVisionEncoder(new VisionParts(clip, clipWeights, null), parallel);
        this.fastClip = fastTowerConfig(config, clip, slow.weights());
        this.grid = fastClip.patchesPerSide();
        this.fastPositions = resampledPositions(clip, clipWeights.positionEmbedding(), grid);
    }

    /**
     * The fast branch's CLIP config (image side {@code fastImageSize}), after checking that its grid is the slow map's
     * and that the layers split into four groups; a one-line error naming the field otherwise.
     */
    public static ClipVisionConfig fastTowerConfig(LlavaHrConfig config, ClipVisionConfig clip, ConvNextWeights slow) {
        ClipVisionConfig fastClip = new ClipVisionConfig(clip.hiddenSize(), clip.intermediateSize(),
                clip.numHiddenLayers(), clip.numAttentionHeads(), clip.numChannels(), config.fastImageSize(),
                clip.patchSize(), clip.hiddenAct(), clip.layerNormEps(), clip.projectionDim());
        int grid = fastClip.patchesPerSide();
        int slowGrid = config.inputImageSize() / slow.stride();
        if (slowGrid != grid) {
            throw new InvalidInputException("input_image_size", config.inputImageSize() + " gives a " + slowGrid + "×"
                    + slowGrid + " slow map and a " + grid + "×" + grid + " fast grid; mod4j fuses maps of one size"
                    + " (input_image_size of 768 or more, as the released LLaVA-HR models use)");
        }
        if (clip.numHiddenLayers() % 4 != 0) {
            throw new InvalidInputException("vision tower", "has " + clip.numHiddenLayers() + " layers; LLaVA-HR runs"
                    + " them in four equal groups");
        }
        return fastClip;
    }

    /**
     * timm's resample_pos_embed: CLIP's patch positions ({@code all}, class token's row first) as a
     * [hidden, side, side] image, bicubic (antialias) to {@code grid}; rows [grid² × hidden].
     */
    public static float[] resampledPositions(ClipVisionConfig clip, float[] all, int grid) {
        int h = clip.hiddenSize();
        int side = clip.patchesPerSide();
        float[] planes = new float[h * side * side];
        for (int p = 0; p < side * side; p++) {
            for (int c = 0; c < h; c++) {
                planes[c * side * side + p] = all[(p + 1) * h + c];
            }
        }
        float[] resized = side == grid ? planes
                : Interpolation.bicubicAntialiased(planes, h, side, side, grid, grid);
        float[] rows = new float[grid * grid * h];
        for (int p = 0; p < grid * grid; p++) {
            for (int c = 0; c < h; c++) {
                rows[p * h + c] = resized[c * grid * grid + p];
            }
        }
        return rows;
    }

    @Override
    public int imageSize() {
        return config.inputImageSize();
    }

    @Override
    public int featureRows() {
        return grid * grid;
    }

    @Override
    public int featureWidth() {
        return clip.hiddenSize();
    }

    public LlavaHrConfig config() {
        return config;
    }

    public CpuConvNextEncoder slowBranch() {
        return slow;
    }

    @Override
    public float[] features(float[] pixels) {
        return features(pixels, null);
    }

    /**
     * As {@link #features(float[])}; {@code observer} (may be null) sees named intermediate results: "slow" (the
     * ConvNeXt map), "fast.embeddings", "fast.group.N" (after group N and its adapter).
     */
    public float[] features(float[] pixels, BiConsumer<String, float[]> observer) {
        int size = config.inputImageSize();
        if (pixels.length != 3 * size * size) {
            throw new InvalidInputException("pixel values", "expected [3, " + size + ", " + size + "] = "
                    + 3 * size * size + " floats, got " + pixels.length);
        }
        float[] slowMap = slow.forward(pixels, size, null);
        notify(observer, "slow", slowMap);
        float[] y = fastEmbeddings(pixels);
        notify(observer, "fast.embeddings", y);
        int tokens = grid * grid;
        int perGroup = clip.numHiddenLayers() / 4;
        for (int g = 0; g < 4; g++) {
            clipLayers.runLayers(y, 1, tokens, g * perGroup, (g + 1) * perGroup, null);
            if (g < 3 && g < fusion.adapters().size()) {
                adapt(y, slowMap, fusion.adapters().get(g));
            }
            notify(observer, "fast.group." + g, y);
        }
        int d = clip.hiddenSize();
        float[] out = new float[tokens * d];
        float[] slowPart = new float[tokens * d];
        MatmulKernel.linear(out, 0, y, 0, tokens, fusion.finalFast(), parallel);
        MatmulKernel.linear(slowPart, 0, slowMap, 0, tokens, fusion.finalSlow(), parallel);
        VectorKernels.add(out, slowPart, 0, out.length);
        return out;
    }

    private static void notify(BiConsumer<String, float[]> observer, String name, float[] value) {
        if (observer != null) {
            observer.accept(name, value.clone());
        }
    }

    /** Resize to the fast side, patch embedding, resampled positions, pre_layrnorm; no class token row. */
    private float[] fastEmbeddings(float[] pixels) {
        int size = config.inputImageSize();
        int fast = fastClip.imageSize();
        float[] resized = Interpolation.bilinearAlignCorners(pixels, 3, size, size, fast, fast);
        int d = clip.hiddenSize();
        int tokens = grid * grid;
        float[] y = new float[tokens * d];
        MatmulKernel.multiply(y, 0, PatchColumns.of(fastClip, resized), 0, tokens, clipWeights.patchEmbedding(),
                parallel);
        VectorKernels.add(y, fastPositions, 0, y.length);
        for (int r = 0; r < tokens; r++) {
            VectorKernels.layerNorm(y, r * d, y, r * d, clipWeights.preLayernormWeight(),
                    clipWeights.preLayernormBias(), d, clip.layerNormEps());
        }
        return y;
    }

    /** One MR-adapter on the fast rows {@code y} [tokens × d], in place. */
    private void adapt(float[] y, float[] slowMap, MultiPathFusionWeights.Adapter a) {
        int d = clip.hiddenSize();
        int tokens = grid * grid;
        int slowWidth = a.slowConv().inFeatures();
        float[] slowMid = new float[tokens * slowWidth];
        MatmulKernel.linear(slowMid, 0, slowMap, 0, tokens, a.slowConv(), parallel);
        VectorKernels.gelu(slowMid, 0, slowMid.length);
        float[] slowAligned = new float[tokens * d];
        MatmulKernel.linear(slowAligned, 0, slowMid, 0, tokens, a.slowProj(), parallel);

        float[] mixed = new float[tokens * d];
        ConvolutionKernels.depthwise(mixed, y, grid, grid, d, a.fastDepthwise(), a.fastDepthwiseBias(), a.kernel(),
                parallel);
        VectorKernels.gelu(mixed, 0, mixed.length);
        float[] projected = new float[tokens * d];
        MatmulKernel.linear(projected, 0, mixed, 0, tokens, a.fastProj(), parallel);
        VectorKernels.add(y, projected, 0, y.length);

        // gate(mean over tokens of concat(fast, slow)): one scalar per image.
        float[] mean = new float[2 * d];
        double[] sums = new double[2 * d];
        for (int r = 0; r < tokens; r++) {
            for (int c = 0; c < d; c++) {
                sums[c] += y[r * d + c];
                sums[d + c] += slowAligned[r * d + c];
            }
        }
        for (int c = 0; c < 2 * d; c++) {
            mean[c] = (float) (sums[c] / tokens);
        }
        float gate = (float) Math.tanh(apply(a.gateOut(), gelu(apply(a.gateIn(), mean)))[0]);
        VectorKernels.addScaled(y, slowAligned, gate, 0, y.length);
    }

    private float[] apply(Linear linear, float[] in) {
        float[] out = new float[linear.outFeatures()];
        MatmulKernel.linear(out, 0, in, 0, 1, linear, parallel);
        return out;
    }

    private static float[] gelu(float[] x) {
        VectorKernels.gelu(x, 0, x.length);
        return x;
    }
}
