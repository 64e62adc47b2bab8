package dev.mod4j.runtime.schedule;

import dev.mod4j.runtime.vision.ClipLayerView;
import dev.mod4j.runtime.vision.ImageReduction;

import dev.mod4j.loaders.InvalidInputException;

import java.util.Arrays;
import java.util.List;

/**
 * VisionZip (docs/methods.md §13; Yang et al., CVPR 2025; released code dvlab-research/VisionZip at 3151f6d,
 * {@code visionzip/clip_encoder.py} {@code CLIPVisionTower_VisionZip.forward}, {@code visionzip/utils.py}). Inside
 * the CLIP tower, at the layer whose output LLaVA selects, each image becomes {@code dominant + contextual} rows:
 *
 * <ol>
 *   <li>dominant: the class token and the {@code dominant − 1} patches with the largest class-token attention
 *       summed over heads, in token order;</li>
 *   <li>contextual: of the other tokens, every {@code step}-th ({@code step = max(1, remaining // contextual)},
 *       the first {@code contextual}) is a target; every other token joins the target whose head-mean key is most
 *       similar (cosine); a contextual row is {@code target + mean(joined)} (the target itself not in the mean).</li>
 * </ol>
 *
 * The rows go through the projector and take the image's place in the prompt, which is numbered as usual: the
 * decoder runs every layer densely on the shorter prompt.
 *
 * <p>LLaVA-NeXT (anyres): every crop, base and tiles, is reduced on its own as above (the released forward runs the
 * batch of crops through the same code), and the crops' rows are packed as {@code visionzip/llava_arch.py}'s
 * {@code prepare_inputs_labels_for_multimodal_visionzip} and {@code restore_image_features_sorted} pack them
 * ({@link #arrangeTiles}): no {@code unpad_image} and no {@code image_newline} for the tiles.
 */
public final class VisionZipSchedule implements TokenSchedule, ImageReduction {
    private final int dominant;
    private final int contextual;
    private final ScheduleSpec spec;

    /**
     * @param dominant   rows kept by attention, the class token included (the {@code dominant} of
     *                   {@code visionzip(model, dominant, contextual)})
     * @param contextual merged rows
     */
    public VisionZipSchedule(int dominant, int contextual) {
        this(dominant, contextual, ScheduleSpec.of("visionzip").with("dominant", dominant)
                .with("contextual", contextual));
    }

    private VisionZipSchedule(int dominant, int contextual, ScheduleSpec spec) {
        this.dominant = dominant;
        this.contextual = contextual;
        this.spec = spec;
    }

    @Override
    public String spec() {
        return spec.toString();
    }

    @Override
    public LayerPlan plan(int layer, ScheduleContext context) {
        return LayerPlan.DENSE;
    }

    @Override
    public ImageReduction imageReduction() {
        return this;
    }

    @Override
    public Reduced reduce(ClipLayerView layer) {
        int tokens = layer.tokens();
        int d = layer.hiddenSize();
        int hd = layer.headDim();
        int patches = tokens - 1;
        int dominantPatches = Math.min(dominant - 1, patches);
        float[] attention = layer.classAttentionSummedOverHeads();
        int[] patchIndices = new int[patches];
        float[] patchScores = new float[patches];
        for (int p = 0; p < patches; p++) {
            patchIndices[p] = p + 1;
            patchScores[p] = attention[p + 1];
        }
        boolean[] isDominant = new boolean[tokens];
        isDominant[0] = true;
        for (int t : TopK.select(patchIndices, patchScores, dominantPatches)) {
            isDominant[t] = true;
        }
        float[] output = layer.output();
        int[] rest = java.util.stream.IntStream.range(0, tokens).filter(t -> !isDominant[t]).toArray();
        int contextualRows = rest.length == 0 ? 0 : Math.min(contextual, rest.length);
        float[] rows = new float[(dominantPatches + 1 + contextualRows) * d];
        int[] patchOfRow = new int[dominantPatches + 1 + contextualRows];
        int out = 0;
        for (int t = 0; t < tokens; t++) {
            if (isDominant[t]) {
                patchOfRow[out] = t - 1;
                System.arraycopy(output, t * d, rows, out++ * d, d);
            }
        }
        if (contextualRows == 0) {
            return new Reduced(rows, patchOfRow);
        }
        float[] keys = layer.keysAveragedOverHeads();
        float[][] unit = new float[rest.length][];
        for (int i = 0; i < rest.length; i++) {
            float[] k = Arrays.copyOfRange(keys, rest[i] * hd, (rest[i] + 1) * hd);
            double norm = 0;
            for (float v : k) {
                norm += (double) v * v;
            }
            float inv = (float) (1 / Math.sqrt(norm));
            for (int c = 0; c < hd; c++) {
                k[c] *= inv;
            }
            unit[i] = k;
        }
        int step = Math.max(1, rest.length / contextual);
        int[] targets = new int[contextualRows];
        boolean[] isTarget = new boolean[rest.length];
        for (int j = 0; j < contextualRows; j++) {
            targets[j] = j * step;
            isTarget[j * step] = true;
        }
        float[][] sums = new float[contextualRows][d];
        int[] counts = new int[contextualRows];
        for (int i = 0; i < rest.length; i++) {
            if (isTarget[i]) {
                continue;
            }
            // The target of highest similarity; argmax takes the first of equal ones.
            int best = 0;
            float bestSimilarity = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < contextualRows; j++) {
                float s = 0;
                for (int c = 0; c < hd; c++) {
                    s += unit[i][c] * unit[targets[j]][c];
                }
                if (s > bestSimilarity) {
                    bestSimilarity = s;
                    best = j;
                }
            }
            counts[best]++;
            for (int c = 0; c < d; c++) {
                sums[best][c] += output[rest[i] * d + c];
            }
        }
        for (int j = 0; j < contextualRows; j++) {
            int target = rest[targets[j]];
            patchOfRow[out] = target - 1;
            float count = Math.max(1, counts[j]);
            for (int c = 0; c < d; c++) {
                rows[out * d + c] = output[target * d + c] + sums[j][c] / count;
            }
            out++;
        }
        return new Reduced(rows, patchOfRow);
    }

    /**
     * A tiled image's rows as VisionZip's {@code prepare_inputs_labels_for_multimodal_visionzip} (3151f6d,
     * {@code visionzip/llava_arch.py}) packs them under {@code spatial_unpad}: the base crop's rows as reduced
     * (class token and dominant rows in token order, then its contextual rows); then
     * {@code restore_image_features_sorted}: the tiles' dominant patches (class tokens aside) scattered back onto
     * the tile grid and read row-major over the whole grid ({@code grid_with_newline[mask_all]}; despite the name
     * no newline is added, and there is no unpadding), then the tiles' class-token rows in tile order, then their
     * contextual rows, tile after tile. The released code hard-codes 24×24 patches per crop (CLIP-336); here p×p.
     * {@code flat} is {@code flatten(0, 1)}: the crops' rows one after another. A lone crop under
     * {@code spatial_unpad} gets {@code image_newline} after its rows, as there. Plain {@code spatial} is refused:
     * the released code calls a 5-dimensional {@code permute} on the reduced 3-dimensional features, which fails.
     */
    @Override
    public int[] arrangeTiles(List<Reduced> crops, TileGrid grid) {
        int[] offsets = new int[crops.size() + 1];
        for (int c = 0; c < crops.size(); c++) {
            offsets[c + 1] = offsets[c] + crops.get(c).patchOfRow().length;
        }
        String merge = grid.patchMergeType();
        if (merge.equals("flat")) {
            return java.util.stream.IntStream.range(0, offsets[crops.size()]).toArray();
        }
        if (!merge.startsWith("spatial")) {
            throw new InvalidInputException("mm_patch_merge_type", "'" + merge + "' is not one VisionZip packs"
                    + " (flat, spatial_unpad)");
        }
        boolean unpad = merge.contains("unpad");
        if (crops.size() == 1) {
            int[] out = java.util.stream.IntStream.range(0, offsets[1] + (unpad ? 1 : 0)).toArray();
            if (unpad) {
                out[offsets[1]] = NEWLINE;
            }
            return out;
        }
        if (!unpad) {
            throw new InvalidInputException("mm_patch_merge_type", "'" + merge + "': VisionZip's released code"
                    + " (visionzip/llava_arch.py) packs tiled images only for spatial_unpad (its 'spatial' branch"
                    + " permutes 5 dimensions of the reduced 3-dimensional features and fails)");
        }
        int p = grid.patchesPerSide();
        int gridWidth = grid.gridColumns() * p;
        int gridHeight = grid.gridRows() * p;
        // rowOfCell[tile][patch]: the tile's dominant row for that patch (the class token and contextual rows aside).
        int[][] rowOfCell = new int[crops.size()][p * p];
        int[] dominantRows = new int[crops.size()];
        for (int c = 1; c < crops.size(); c++) {
            Arrays.fill(rowOfCell[c], -1);
            int[] patchOfRow = crops.get(c).patchOfRow();
            dominantRows[c] = Math.min(dominant, patchOfRow.length);
            for (int r = 1; r < dominantRows[c]; r++) {
                rowOfCell[c][patchOfRow[r]] = offsets[c] + r;
            }
        }
        java.util.stream.IntStream.Builder out = java.util.stream.IntStream.builder();
        for (int r = offsets[0]; r < offsets[1]; r++) {
            out.add(r);
        }
        for (int y = 0; y < gridHeight; y++) {
            for (int x = 0; x < gridWidth; x++) {
                int tile = 1 + (y / p) * grid.gridColumns() + x / p;
                int row = rowOfCell[tile][(y % p) * p + x % p];
                if (row >= 0) {
                    out.add(row);
                }
            }
        }
        for (int c = 1; c < crops.size(); c++) {
            out.add(offsets[c]);
        }
        for (int c = 1; c < crops.size(); c++) {
            for (int r = offsets[c] + dominantRows[c]; r < offsets[c + 1]; r++) {
                out.add(r);
            }
        }
        return out.build().toArray();
    }

    /** {@code visionzip:dominant=54;contextual=10}. */
    public static final class Method implements ScheduleMethod {
        @Override
        public String name() {
            return "visionzip";
        }

        @Override
        public String summary() {
            return "in the vision tower, keep the patches the class token attends to most and merge the rest into a"
                    + " few tokens (VisionZip)";
        }

        @Override
        public List<ScheduleKey> keys() {
            return List.of(ScheduleKey.of("dominant", "tokens kept by class-token attention, the class token"
                            + " included", "1..", "54"),
                    ScheduleKey.of("contextual", "tokens merged from the rest by key similarity", "0..", "10"));
        }

        /** The demo's 64 patches: 16 rows, a quarter, as 54 + 10 = 64 of 576 is about a ninth. */
        @Override
        public String demoSpec() {
            return "visionzip:dominant=12;contextual=4";
        }

        @Override
        public TokenSchedule create(ScheduleArguments arguments) {
            int dominant = arguments.intValue("dominant", 54, 1, Integer.MAX_VALUE);
            int contextual = arguments.intValue("contextual", 10, 0, Integer.MAX_VALUE);
            return new VisionZipSchedule(dominant, contextual, arguments.canonical());
        }
    }
}
