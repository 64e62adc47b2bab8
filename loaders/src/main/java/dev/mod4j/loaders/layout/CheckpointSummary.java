package dev.mod4j.loaders.layout;

import dev.mod4j.loaders.tokenizer.Tokenizer;
import dev.mod4j.loaders.config.GammaModConfig;
import dev.mod4j.loaders.config.LlamaConfig;
import dev.mod4j.loaders.config.LlavaHrConfig;
import dev.mod4j.loaders.config.MiniGeminiConfig;
import dev.mod4j.loaders.safetensors.Checkpoint;
import dev.mod4j.loaders.safetensors.TensorInfo;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@code mod4j inspect} reports about a model on disk: layout, dimensions, dtypes, sizes, parameters per
 * component and the token-routing tensors of γ-MoD / p-MoD checkpoints.
 *
 * @param dtypes            per dtype: number of tensors and bytes
 * @param parameters        per component ("language model", "vision tower", "projector", "routers", "other"): element count
 * @param gammaModRouterLayers layers carrying a γ-MoD shared router {@code [2, d]}
 * @param pModRouterLayers  layers carrying a p-MoD router {@code [1, d]} (+ bias)
 * @param fileFormats       per file of {@code files}, in the same order: "safetensors" or "pytorch zip"
 * @param tokenizer         which tokenizer file the model directory has: "tokenizer.json BPE", "SentencePiece
 *                          tokenizer.model" (read only when there is no tokenizer.json), or "none"
 */
public record CheckpointSummary(String directory, String family, String modelType, String layout, int tensorCount,
                                long totalBytes, Map<String, DTypeStats> dtypes, Map<String, Long> parameters,
                                Dimensions dimensions, List<Integer> gammaModRouterLayers, List<Integer> pModRouterLayers,
                                String visionTower, List<String> files, List<String> fileFormats,
                                String tokenizer, Architecture architecture) {

    /**
     * A dual-encoder model's image side (LLaVA-HR), null for others.
     *
     * @param encoders    one line per encoder: what it is, its sizes, its input side and its output grid
     * @param imageTokens image rows the decoder sees per image
     * @param modLayers   γ-MoD's MoD layers ({@code mod.mod_layers_idx}, else the layers carrying a router)
     */
    public record Architecture(String name, List<String> encoders, int imageTokens, List<Integer> modLayers) {
    }

    public record DTypeStats(int tensors, long bytes) {
    }

    /** The decoder's (and, for LLaVA, the tower's) main dimensions. */
    public record Dimensions(int layers, int hiddenSize, int intermediateSize, int attentionHeads, int keyValueHeads,
                             int headDim, int vocabSize, int maxPositions, Integer visionLayers, Integer visionHiddenSize,
                             Integer imageSize, Integer patchSize, Integer imageTokens) {
    }

    /** How {@link #visionTower()} begins when the original layout's CLIP checkpoint was not found. */
    public static final String TOWER_NOT_FOUND = "not found: ";

    private static final Pattern MGM_CONVNEXT_BLOCK = Pattern.compile(
            Pattern.quote(CheckpointLayout.MINI_GEMINI_AUX_PREFIX) + "stages\\.(\\d+)\\.blocks\\.(\\d+)\\.conv_dw\\.weight");
    private static final Pattern CONVNEXT_BLOCK = Pattern.compile(
            Pattern.quote(CheckpointLayout.LLAVA_HR_SLOW_PREFIX) + "stages\\.(\\d+)\\.blocks\\.(\\d+)\\.conv_dw\\.weight");

    private static final Pattern ROUTER = Pattern.compile(".*layers\\.(\\d+)\\.router\\.(router\\.)?(weight|bias)$");

    public static CheckpointSummary of(ModelFiles files) {
        CheckpointLayout layout = files.layout();
        Map<String, DTypeStats> dtypes = new TreeMap<>();
        Map<String, Long> parameters = new TreeMap<>();
        TreeSet<Integer> gammaRouters = new TreeSet<>();
        TreeSet<Integer> pmodRouters = new TreeSet<>();
        List<String> fileNames = new ArrayList<>();
        List<String> fileFormats = new ArrayList<>();
        int count = 0;
        long bytes = 0;
        List<Checkpoint> checkpoints = new ArrayList<>(List.of(files.language()));
        if (files.vision() != null && files.vision() != files.language()) {
            checkpoints.add(files.vision());
        }
        for (Checkpoint checkpoint : checkpoints) {
            checkpoint.files().forEach(f -> {
                fileNames.add(f.path().toString());
                fileFormats.add(f.format());
            });
            boolean separateTower = checkpoint != files.language();
            for (String name : checkpoint.tensorNames()) {
                TensorInfo info = checkpoint.info(name);
                count++;
                bytes += info.byteSize();
                dtypes.merge(info.dtype().name(), new DTypeStats(1, info.byteSize()),
                        (a, b) -> new DTypeStats(a.tensors() + b.tensors(), a.bytes() + b.bytes()));
                String component = separateTower ? "vision tower" : component(layout, name);
                parameters.merge(component, info.elementCount(), Long::sum);
                Matcher m = ROUTER.matcher(name);
                if (m.matches()) {
                    int layer = Integer.parseInt(m.group(1));
                    if (m.group(2) != null) {
                        pmodRouters.add(layer);
                    } else if (info.rank() == 2 && info.dim(0) == 2) {
                        gammaRouters.add(layer);
                    }
                }
            }
        }
        LlamaConfig t = files.config().text();
        var v = files.config().vision();
        Dimensions dims = new Dimensions(t.numHiddenLayers(), t.hiddenSize(), t.intermediateSize(),
                t.numAttentionHeads(), t.numKeyValueHeads(), t.headDim(), t.vocabSize(), t.maxPositionEmbeddings(),
                v == null ? null : v.numHiddenLayers(), v == null ? null : v.hiddenSize(),
                v == null ? null : v.imageSize(), v == null ? null : v.patchSize(), v == null ? null : v.patchCount());
        String tower = null;
        if (files.config().multimodal() != null) {
            var lookup = files.config().visionTowerLookup();
            boolean embedded = files.vision() != null && files.vision() == files.language();
            if (files.config().visionTowerDirectory() != null) {
                tower = (embedded ? "embedded in the checkpoint; config from " : "")
                        + (lookup != null && lookup.origin() != null ? lookup.origin()
                        : files.config().visionTowerDirectory().toString());
            } else if (embedded) {
                tower = lookup != null && lookup.origin() != null ? lookup.origin() : "in the model checkpoint";
            } else {
                tower = TOWER_NOT_FOUND + files.config().multimodal().visionTower()
                        + (lookup == null || lookup.searched().isEmpty() ? ""
                        : " (looked in " + lookup.searchedList() + ")");
            }
        }
        return new CheckpointSummary(files.language().directory().toString(), files.config().family().name(),
                files.config().modelType(), layout.name(), count, bytes, dtypes, parameters, dims,
                List.copyOf(gammaRouters), List.copyOf(pmodRouters), tower, fileNames, fileFormats,
                Tokenizer.kindIn(files.language().directory()).map(Tokenizer.Kind::description).orElse("none"),
                architecture(files, List.copyOf(gammaRouters)));
    }

    /** LLaVA-HR's or Mini-Gemini's two encoders, image tokens and MoD layers; null for single-tower models. */
    private static Architecture architecture(ModelFiles files, List<Integer> routerLayers) {
        LlavaHrConfig hr = LlavaHrConfig.read(files.config());
        var v = files.config().vision();
        if (v == null) {
            return null;
        }
        if (hr == null) {
            MiniGeminiConfig mgm = MiniGeminiConfig.read(files.config());
            return mgm == null ? null : miniGemini(files, mgm, routerLayers);
        }
        int[] depths = new int[4];
        int[] widths = new int[4];
        convNextShape(files.language(), CONVNEXT_BLOCK, depths, widths);
        int slowGrid = hr.inputImageSize() / 32;
        int fastGrid = hr.fastImageSize() / v.patchSize();
        String slow = String.format("slow: ConvNeXt %s, depths %s, widths %s, at %d px -> %dx%d x %d",
                hr.visionTowerSlow(), java.util.Arrays.toString(depths), java.util.Arrays.toString(widths),
                hr.inputImageSize(), slowGrid, slowGrid, widths[3]);
        String fast = String.format("fast: CLIP %d layers, hidden %d, at %d px (positions %dx%d -> %dx%d, bicubic),"
                        + " %s, last layer", v.numHiddenLayers(), v.hiddenSize(), hr.fastImageSize(),
                v.patchesPerSide(), v.patchesPerSide(), fastGrid, fastGrid,
                hr.adapters() ? "MR-adapters after layer groups 1-3" : "no MR-adapters (freeze_vision)");
        List<Integer> mod = GammaModConfig.read(files.config()).modLayersIdx();
        String name = "LLaVA-HR (multipath: ConvNeXt slow + CLIP fast branch, fused)"
                + ("mod_llava_llama".equals(files.config().modelType()) ? ", γ-MoD" : "");
        return new Architecture(name, List.of(slow, fast), fastGrid * fastGrid, mod.isEmpty() ? routerLayers : mod);
    }

    /** Depths and widths of a ConvNeXt trunk's four stages, from its block tensors' names and shapes. */
    private static void convNextShape(Checkpoint c, Pattern blocks, int[] depths, int[] widths) {
        for (String name : c.tensorNames()) {
            Matcher m = blocks.matcher(name);
            if (m.matches()) {
                int stage = Integer.parseInt(m.group(1));
                if (stage < 4) {
                    depths[stage] = Math.max(depths[stage], Integer.parseInt(m.group(2)) + 1);
                    widths[stage] = (int) c.info(name).dim(0);
                }
            }
        }
    }

    /** Mini-Gemini: CLIP over the grid and global views, the auxiliary ConvNeXt, patch info mining. */
    private static Architecture miniGemini(ModelFiles files, MiniGeminiConfig mgm, List<Integer> routerLayers) {
        var v = files.config().vision();
        int[] depths = new int[4];
        int[] widths = new int[4];
        convNextShape(files.language(), MGM_CONVNEXT_BLOCK, depths, widths);
        int auxChannels = java.util.Arrays.stream(widths).sum();
        int auxSide = mgm.imageSizeAux() / 4;
        int window = mgm.imageGrid() == 0 || v.patchesPerSide() == 0 ? 0
                : auxSide / mgm.imageGrid() / v.patchesPerSide();
        int layer = files.config().multimodal().visionFeatureLayer();
        String low = String.format("low-res: CLIP %d layers, hidden %d, at %d px over %dx%d tiles of a %d px image%s"
                        + " -> %d x %d rows, hidden state %d", v.numHiddenLayers(), v.hiddenSize(), v.imageSize(),
                mgm.imageGrid(), mgm.imageGrid(), v.imageSize() * mgm.imageGrid(),
                mgm.imageGlobal() ? " + a global view" : "", mgm.views(), v.patchCount(), layer);
        String high = String.format("high-res: ConvNeXt (%s), depths %s, widths %s, at %d px -> stages resized to"
                        + " %dx%d, %d channels; patch info mining over %dx%d windows", mgm.visionTowerAux(),
                java.util.Arrays.toString(depths), java.util.Arrays.toString(widths), mgm.imageSizeAux(), auxSide,
                auxSide, auxChannels, window, window);
        List<Integer> mod = GammaModConfig.read(files.config()).modLayersIdx();
        String name = "Mini-Gemini" + (mgm.imageGrid() > 1 ? "-HD" : "")
                + " (CLIP low-res views + ConvNeXt high-res, patch info mining)"
                + ("mod_mgm".equals(files.config().modelType()) ? ", γ-MoD" : "");
        return new Architecture(name, List.of(low, high), mgm.views() * v.patchCount(),
                mod.isEmpty() ? routerLayers : mod);
    }

    private static String component(CheckpointLayout layout, String name) {
        if (ROUTER.matcher(name).matches()) {
            return "routers";
        }
        for (String p : layout.projectorLinears()) {
            if (name.startsWith(p + ".")) {
                return "projector";
            }
        }
        if (layout.visionPrefix() != null && name.startsWith(layout.visionPrefix())
                || layout == CheckpointLayout.LLAVA_HR && name.startsWith(CheckpointLayout.LLAVA_HR_FUSION_PREFIX)
                || layout == CheckpointLayout.MINI_GEMINI && (name.startsWith("model.vision_tower_aux.")
                || name.startsWith(CheckpointLayout.MINI_GEMINI_MINING_PREFIX))) {
            return "vision tower";
        }
        if (name.startsWith(layout.languagePrefix()) || name.equals(layout.lmHead())) {
            return "language model";
        }
        return "other";
    }
}
