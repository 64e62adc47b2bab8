package dev.mod4j.runtime.cpu;

import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.config.ClipVisionConfig;
import dev.mod4j.loaders.config.MiniGeminiConfig;
import dev.mod4j.runtime.backend.ConvNextTrunk;
import dev.mod4j.runtime.backend.HighResolutionEncoder;
import dev.mod4j.runtime.backend.VisionEncoder;
import dev.mod4j.runtime.vision.Interpolation;
import dev.mod4j.runtime.weights.ConvNextWeights;
import dev.mod4j.runtime.weights.PatchInfoMiningWeights;
import dev.mod4j.runtime.weights.PatchInfoMiningWeights.NormedLinear;

import java.util.ArrayList;
import java.util.List;

/**
 * Mini-Gemini-HD's vision side on the CPU, as MGM's code computes it (Yaxin9Luo/Gamma-MOD@5de27f2, the copy of
 * dvlab-research/MGM that γ-MoD's {@code mod_mgm} imports):
 * <ol>
 *   <li>views (gamma_mod/MGM/mgm/eval/model_vqa_loader.py): the preprocessed {@code image_size_aux} image resized
 *   bilinearly to {@code 336·image_grid}, cut into {@code image_grid²} tiles of 336 (row-major), and, with
 *   {@code image_global}, that image resized again to 336;</li>
 *   <li>low resolution: the CLIP tower on every view, hidden state {@code mm_vision_select_layer}, class token dropped
 *   (clip_encoder.py);</li>
 *   <li>high resolution (openclip_encoder.py {@code backbone}): the ConvNeXt trunk on the {@code image_size_aux}
 *   image, every stage's map resized bilinearly to stage 0's and the four concatenated over channels; the global
 *   view's map is that map resized by 1/image_grid (mgm_arch.py {@code encode_images});</li>
 *   <li>patch info mining (mgm_arch.py {@code unified_resampler}): each low-resolution row attends over its window
 *   of the view's high-resolution map, {@code softmax(q·kᵀ/√d)·v} with q, k, v from LayerNorm + Linear projections,
 *   and the result is added to the row;</li>
 *   <li>rows ordered [global view, tiles] ({@code torch.cat([image_feat_global, image_features])}).</li>
 * </ol>
 * The concatenated high-resolution map (2,880 channels at 384×384 for MGM-HD at 1536 px) is never held whole: each
 * window's rows are sampled from the four stage maps when its tokens are mined.
 */
public final class CpuMiniGeminiEncoder implements HighResolutionEncoder {
    private final MiniGeminiConfig config;
    private final ClipVisionConfig clip;
    private final VisionEncoder clipTower;
    private final int hiddenStateIndex;
    private final ConvNextTrunk aux;
    private final PatchInfoMiningWeights mining;
    private final Parallel parallel;
    /** Side of the auxiliary tower's stage-0 map, the size every stage is resized to. */
    private final int auxSide;
    /** Side of one view's share of that map (a tile's, or the global view's downsized map). */
    private final int viewSide;
    /** High-resolution positions per low-resolution token, per side. */
    private final int window;
    private final int auxWidth;

    /**
     * @param clipTower        the CLIP tower (no projector needed), on the CPU or another backend's device
     * @param hiddenStateIndex the CLIP hidden state the views' features are taken from (0..layers)
     * @param aux              the auxiliary ConvNeXt, on the CPU or another backend's device; patch info mining runs
     *                         here, on the host, with {@code parallel}
     */
    public CpuMiniGeminiEncoder(MiniGeminiConfig config, ClipVisionConfig clip, VisionEncoder clipTower,
                                int hiddenStateIndex, ConvNextTrunk aux, PatchInfoMiningWeights mining,
                                Parallel parallel) {
        this.config = config;
        this.clip = clip;
        this.clipTower = clipTower;
        this.hiddenStateIndex = hiddenStateIndex;
        this.aux = aux;
        this.mining = mining;
        this.parallel = parallel;
        MiningShape shape = MiningShape.of(config, clip, aux.weights(), mining);
        this.auxSide = shape.auxSide();
        this.viewSide = shape.viewSide();
        this.window = shape.window();
        this.auxWidth = shape.auxWidth();
    }

    /**
     * How the auxiliary map divides among the views and tokens.
     *
     * @param auxSide   side of the auxiliary tower's stage-0 map, the size every stage is resized to
     * @param viewSide  side of one view's share of that map (a tile's, or the global view's downsized map)
     * @param window    high-resolution positions per low-resolution token, per side
     * @param auxWidth  channels of a concatenated row (the four stages' widths)
     */
    public record MiningShape(int auxSide, int viewSide, int window, int auxWidth) {
        /** The shape, or a one-line error naming the config field whose value does not divide into whole windows. */
        public static MiningShape of(MiniGeminiConfig config, ClipVisionConfig clip, ConvNextWeights aux,
                                     PatchInfoMiningWeights mining) {
            int stem = aux.stemPatch();
            int size = config.imageSizeAux();
            int grid = config.imageGrid();
            int patches = clip.patchesPerSide();
            if (size % aux.stride() != 0) {
                throw new InvalidInputException("image_size_aux", size + " is not a multiple of " + aux.stride()
                        + " (the auxiliary ConvNeXt's stride)");
            }
            int auxSide = size / stem;
            if (auxSide % grid != 0 || auxSide / grid % patches != 0) {
                throw new InvalidInputException("image_size_aux", size + " gives a " + auxSide + "×" + auxSide
                        + " map, which image_grid " + grid + " and the CLIP tower's " + patches + "×" + patches
                        + " patches do not divide into whole windows (MGM's unified_resampler reshapes it exactly)");
            }
            int viewSide = auxSide / grid;
            int auxWidth = java.util.Arrays.stream(aux.widths()).sum();
            if (mining.key().inFeatures() != auxWidth) {
                throw new InvalidInputException("vlm_uni_aux_projector", "takes " + mining.key().inFeatures()
                        + " channels, but the auxiliary tower's four stages have " + auxWidth);
            }
            return new MiningShape(auxSide, viewSide, viewSide / patches, auxWidth);
        }
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

    public MiniGeminiConfig config() {
        return config;
    }

    public ConvNextTrunk auxiliaryTower() {
        return aux;
    }

    @Override
    public float[] features(float[] pixels) {
        return features(pixels, null);
    }

    /**
     * As {@link #features(float[])}; {@code done} (may be null) is told when each part has finished: "low-res" (CLIP
     * over the views), "high-res" (the auxiliary ConvNeXt), then "mining".
     */
    public float[] features(float[] pixels, java.util.function.Consumer<String> done) {
        int size = config.imageSizeAux();
        if (pixels.length != 3 * size * size) {
            throw new InvalidInputException("pixel values", "expected [3, " + size + ", " + size + "] = "
                    + 3 * size * size + " floats, got " + pixels.length);
        }
        float[][] views = lowResolutionViews(config, clip, pixels);
        float[] states = clipTower.hiddenStates(views, hiddenStateIndex);
        tell(done, "low-res");
        StageMaps maps = highResolutionMaps(pixels);
        tell(done, "high-res");

        int d = clip.hiddenSize();
        int tokens = clip.patchCount();
        int grid = config.imageGrid();
        float[] out = new float[Math.multiplyExact(featureRows(), d)];
        int row = 0;
        if (config.imageGlobal()) {
            // The global view is the last one through CLIP but comes first among the rows.
            mine(states, views.length - 1, maps, -1, -1, out, row);
            row += tokens;
        }
        for (int gy = 0; gy < grid; gy++) {
            for (int gx = 0; gx < grid; gx++) {
                mine(states, gy * grid + gx, maps, gy, gx, out, row);
                row += tokens;
            }
        }
        tell(done, "mining");
        return out;
    }

    private static void tell(java.util.function.Consumer<String> done, String part) {
        if (done != null) {
            done.accept(part);
        }
    }

    /** The tiles of the {@code 336·grid} resize (row-major), then the global view if the config has one. */
    public static float[][] lowResolutionViews(MiniGeminiConfig config, ClipVisionConfig clip, float[] pixels) {
        int size = config.imageSizeAux();
        int side = clip.imageSize();
        int grid = config.imageGrid();
        int low = side * grid;
        float[] resized = Interpolation.bilinear(pixels, 3, size, size, low, low);
        List<float[]> views = new ArrayList<>();
        for (int gy = 0; gy < grid; gy++) {
            for (int gx = 0; gx < grid; gx++) {
                float[] tile = new float[3 * side * side];
                for (int c = 0; c < 3; c++) {
                    for (int y = 0; y < side; y++) {
                        System.arraycopy(resized, (c * low + gy * side + y) * low + gx * side, tile,
                                (c * side + y) * side, side);
                    }
                }
                views.add(tile);
            }
        }
        if (config.imageGlobal()) {
            views.add(Interpolation.bilinear(resized, 3, low, low, side, side));
        }
        return views.toArray(float[][]::new);
    }

    /** The four stage maps (channels-last) and, per stage, how stage 0's grid samples it. */
    private record StageMaps(List<float[]> maps, int[] sides, int[] widths, List<Interpolation.BilinearTaps> taps) {
    }

    private StageMaps highResolutionMaps(float[] pixels) {
        int stages = aux.weights().stages().size();
        List<float[]> maps = new ArrayList<>(java.util.Collections.nCopies(stages, (float[]) null));
        aux.forward(pixels, config.imageSizeAux(), (s, map) -> maps.set(s, map));
        int[] sides = new int[stages];
        List<Interpolation.BilinearTaps> taps = new ArrayList<>();
        for (int s = 0; s < stages; s++) {
            sides[s] = auxSide >> s;
            taps.add(Interpolation.BilinearTaps.of(sides[s], auxSide));
        }
        return new StageMaps(maps, sides, aux.weights().widths(), taps);
    }

    /**
     * Row (y, x) of the concatenated map at stage 0's size into {@code out[at..]}: stage 0's own row, then each later
     * stage resized bilinearly (align_corners=False) to stage 0's size, as openclip_encoder.py's {@code backbone}.
     */
    private void concatenatedRow(StageMaps m, int y, int x, float[] out, int at) {
        int o = at;
        for (int s = 0; s < m.maps().size(); s++) {
            float[] map = m.maps().get(s);
            int w = m.widths()[s];
            int side = m.sides()[s];
            if (s == 0) {
                System.arraycopy(map, (y * side + x) * w, out, o, w);
            } else {
                Interpolation.BilinearTaps t = m.taps().get(s);
                int y0 = t.first()[y];
                int y1 = t.second()[y];
                int x0 = t.first()[x];
                int x1 = t.second()[x];
                double ly = t.weight()[y];
                double lx = t.weight()[x];
                int a = (y0 * side + x0) * w;
                int b = (y0 * side + x1) * w;
                int c = (y1 * side + x0) * w;
                int e = (y1 * side + x1) * w;
                for (int ch = 0; ch < w; ch++) {
                    double top = (1 - lx) * map[a + ch] + lx * map[b + ch];
                    double bottom = (1 - lx) * map[c + ch] + lx * map[e + ch];
                    out[o + ch] = (float) ((1 - ly) * top + ly * bottom);
                }
            }
            o += w;
        }
    }

    /**
     * Row (y, x) of a view's high-resolution map: tile (gy, gx)'s share of the concatenated map, or (gy = −1) the
     * global view's, the concatenated map resized by 1/image_grid (bilinear, align_corners=False).
     */
    private void viewRow(StageMaps m, int gy, int gx, int y, int x, Interpolation.BilinearTaps globalTaps, float[] out,
                         int at, float[] scratch) {
        if (gy >= 0) {
            concatenatedRow(m, gy * viewSide + y, gx * viewSide + x, out, at);
            return;
        }
        int[] ys = {globalTaps.first()[y], globalTaps.second()[y]};
        int[] xs = {globalTaps.first()[x], globalTaps.second()[x]};
        double[] wy = {1 - globalTaps.weight()[y], globalTaps.weight()[y]};
        double[] wx = {1 - globalTaps.weight()[x], globalTaps.weight()[x]};
        double[] sum = new double[auxWidth];
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 2; j++) {
                double weight = wy[i] * wx[j];
                concatenatedRow(m, ys[i], xs[j], scratch, 0);
                for (int ch = 0; ch < auxWidth; ch++) {
                    sum[ch] += weight * scratch[ch];
                }
            }
        }
        for (int ch = 0; ch < auxWidth; ch++) {
            out[at + ch] = (float) sum[ch];
        }
    }

    /**
     * Patch info mining of one view: its CLIP rows ({@code view} in {@code states}, class token dropped) plus what
     * each gathers from its window of high-resolution rows, written to {@code out} from row {@code outRow}. Runs one
     * row of tokens at a time, so a block of window rows [tokens per side · window² × aux width] is all it holds.
     */
    private void mine(float[] states, int view, StageMaps m, int gy, int gx, float[] out, int outRow) {
        int d = clip.hiddenSize();
        int tokens = clip.patchCount();
        int perSide = clip.patchesPerSide();
        int firstRow = view * (tokens + 1) + 1;
        float[] x = new float[tokens * d];
        System.arraycopy(states, firstRow * d, x, 0, tokens * d);
        float[] query = normedLinear(x, tokens, mining.query());

        Interpolation.BilinearTaps globalTaps = Interpolation.BilinearTaps.of(auxSide, viewSide);
        int perToken = window * window;
        int rows = perSide * perToken;
        float[] windowRows = new float[Math.multiplyExact(rows, auxWidth)];
        double scale = 1 / Math.sqrt(d);
        for (int ty = 0; ty < perSide; ty++) {
            int tokenRow = ty;
            parallel.forEach(perSide, tx -> {
                float[] scratch = new float[auxWidth];
                for (int wy = 0; wy < window; wy++) {
                    for (int wx = 0; wx < window; wx++) {
                        int r = tx * perToken + wy * window + wx;
                        viewRow(m, gy, gx, tokenRow * window + wy, tx * window + wx, globalTaps, windowRows,
                                r * auxWidth, scratch);
                    }
                }
            });
            float[] keys = normedLinear(windowRows, rows, mining.key());
            float[] values = normedLinear(windowRows, rows, mining.value());
            parallel.forEach(perSide, tx -> {
                int t = tokenRow * perSide + tx;
                double[] logits = new double[perToken];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < perToken; j++) {
                    float dot = VectorKernels.dot(query, t * d, keys, (tx * perToken + j) * d, d);
                    // nan_to_num, as the released code applies it to the scores before the softmax.
                    double s = Float.isNaN(dot) ? 0 : dot * scale;
                    logits[j] = s;
                    max = Math.max(max, s);
                }
                double total = 0;
                for (int j = 0; j < perToken; j++) {
                    logits[j] = Math.exp(logits[j] - max);
                    total += logits[j];
                }
                int o = (outRow + t) * d;
                for (int c = 0; c < d; c++) {
                    double mined = 0;
                    for (int j = 0; j < perToken; j++) {
                        mined += logits[j] * values[(tx * perToken + j) * d + c];
                    }
                    out[o + c] = (float) (x[t * d + c] + mined / total);
                }
            });
        }
    }

    /** {@code Linear(LayerNorm(in))} over {@code rows} rows (the input is left as it is). */
    private float[] normedLinear(float[] in, int rows, NormedLinear p) {
        int width = p.inFeatures();
        float[] normed = new float[Math.multiplyExact(rows, width)];
        parallel.forEach(rows, r -> VectorKernels.layerNorm(normed, r * width, in, r * width, p.normWeight(),
                p.normBias(), width, NormedLinear.LAYER_NORM_EPS));
        float[] out = new float[Math.multiplyExact(rows, p.linear().outFeatures())];
        MatmulKernel.linear(out, 0, normed, 0, rows, p.linear(), parallel);
        return out;
    }
}
