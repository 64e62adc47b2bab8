package dev.mod4j.loaders.image;

import java.util.List;

/**
 * LLaVA-NeXT's anyres preprocessing: pick a grid resolution among the pinpoints, resize the image into it keeping
 * the aspect ratio, centre it on black, cut it into base-size tiles row by row, and put the whole image squashed
 * to the base size first; every crop then goes through the CLIP processor ({@link ImagePreprocessor}, unpadded).
 *
 * <p>LLaVA's {@code process_anyres_image} ({@code llava/mm_utils.py}: {@code select_best_resolution},
 * {@code resize_and_pad_image}, {@code divide_to_patches}, {@code image.resize((shortest_edge, shortest_edge))})
 * and transformers' {@code LlavaNextImageProcessor.get_image_patches} ({@code _resize_for_patching},
 * {@code _pad_for_patching}, {@code divide_to_patches}, {@code resize(image, (shortest_edge, shortest_edge))}) do
 * the same steps with the same arithmetic: new side {@code min(ceil(side · scale), target)} on the axis that does
 * not fill, paste at {@code (target − new) // 2}, black (0) padding. They differ in how the pinpoints are read,
 * which {@link AnyresConvention} holds. Resizing is PIL's ({@link PilResampler}), with the processor's filter
 * (bicubic: LLaVA's {@code Image.resize} default and the llava-hf processors' {@code resample: 3}).
 */
public final class AnyresPreprocessor {
    private final ImagePreprocessor crops;
    private final GridPinpoints pinpoints;
    private final AnyresConvention convention;
    private final int baseSize;
    private final int cropSize;

    /** @param crops the tower's CLIP processor, which every crop goes through */
    public AnyresPreprocessor(ImagePreprocessor crops, GridPinpoints pinpoints, AnyresConvention convention) {
        this.crops = crops;
        this.pinpoints = pinpoints;
        this.convention = convention;
        PreprocessorConfig c = crops.config();
        // LLaVA: processor.size['shortest_edge']; transformers: shortest_edge, else min(height, width) of size.
        this.baseSize = c.size().isShortestEdge() ? c.size().shortestEdge()
                : Math.min(c.size().height(), c.size().width());
        this.cropSize = c.cropHeight(); // both tile with crop_size['height']
    }

    public AnyresConvention convention() {
        return convention;
    }

    public GridPinpoints pinpoints() {
        return pinpoints;
    }

    /** The grid resolution chosen for an image, {width, height} in pixels. */
    public int[] bestResolution(int width, int height) {
        return convention.bestResolution(width, height, pinpoints.pairs());
    }

    /** The crops of one image, base image first. */
    public AnyresImage preprocess(DecodedImage image) {
        int[] target = bestResolution(image.width(), image.height());
        int columns = target[0] / cropSize;
        int rows = target[1] / cropSize;
        DecodedImage padded = resizeAndPad(image, target[0], target[1]);
        List<DecodedImage> tiles = new java.util.ArrayList<>(1 + rows * columns);
        tiles.add(PilResampler.resize(image, baseSize, baseSize, crops.config().resample()));
        // divide_to_patches: range(0, height, patch) × range(0, width, patch), row-major.
        for (int y = 0; y < rows; y++) {
            for (int x = 0; x < columns; x++) {
                tiles.add(tile(padded, x * cropSize, y * cropSize, cropSize));
            }
        }
        float[] first = crops.preprocess(tiles.getFirst(), false);
        float[] pixels = new float[Math.multiplyExact(first.length, tiles.size())];
        System.arraycopy(first, 0, pixels, 0, first.length);
        for (int i = 1; i < tiles.size(); i++) {
            float[] p = crops.preprocess(tiles.get(i), false);
            if (p.length != first.length) {
                throw new IllegalStateException("crop " + i + " has " + p.length + " values, the base " + first.length);
            }
            System.arraycopy(p, 0, pixels, i * first.length, p.length);
        }
        int side = (int) Math.round(Math.sqrt(first.length / 3.0));
        return new AnyresImage(pixels, tiles.size(), side, image.width(), image.height(), rows, columns);
    }

    /** {@code resize_and_pad_image}: aspect-preserving resize into {@code targetW × targetH}, centred on black. */
    DecodedImage resizeAndPad(DecodedImage image, int targetW, int targetH) {
        int w = image.width();
        int h = image.height();
        double scaleW = (double) targetW / w;
        double scaleH = (double) targetH / h;
        int newW;
        int newH;
        if (scaleW < scaleH) {
            newW = targetW;
            newH = (int) Math.min(Math.ceil(h * scaleW), targetH);
        } else {
            newH = targetH;
            newW = (int) Math.min(Math.ceil(w * scaleH), targetW);
        }
        DecodedImage resized = PilResampler.resize(image, newW, newH, crops.config().resample());
        var canvas = new PilResampler.Canvas(resized, targetW, targetH, (targetW - newW) / 2, (targetH - newH) / 2,
                new int[3]);
        return new DecodedImage(targetW, targetH, canvas.rows(0, targetH));
    }

    private static DecodedImage tile(DecodedImage image, int left, int top, int size) {
        byte[] out = new byte[size * size * 3];
        for (int y = 0; y < size; y++) {
            System.arraycopy(image.rgb(), ((top + y) * image.width() + left) * 3, out, y * size * 3, size * 3);
        }
        return new DecodedImage(size, size, out);
    }
}
