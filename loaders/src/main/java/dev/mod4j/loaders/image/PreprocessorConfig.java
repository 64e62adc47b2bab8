package dev.mod4j.loaders.image;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mod4j.loaders.FileLimit;
import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.SmallFiles;
import dev.mod4j.loaders.config.ConfigException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A CLIP image processor's settings: transformers' {@code CLIPImageProcessor} as read from
 * {@code preprocessor_config.json}, with its defaults for absent fields.
 *
 * <p>Accepted forms follow transformers' {@code get_size_dict}: {@code size} is {@code {"shortest_edge": n}}
 * ({@code longest_edge} beside it is ignored, as CLIPImageProcessor.resize ignores it), {@code {"height": h,
 * "width": w}}, a list {@code [h, w]}, or an int (the shortest edge, as the old feature-extractor files write it);
 * {@code crop_size} is {@code {"height": h, "width": w}}, a list {@code [h, w]} or an int (a square).
 * {@code image_mean} and {@code image_std} are three numbers or one (used for all channels).
 *
 * @param size           the resize target
 * @param resample       PIL's filter ({@code resample}: 3 = bicubic; 0 = nearest is refused)
 * @param cropHeight     {@code crop_size.height}
 * @param cropWidth      {@code crop_size.width}
 * @param rescaleFactor  multiplies the uint8 values (1/255)
 * @param imageMean      per channel R, G, B
 * @param imageStd       per channel R, G, B
 * @param padToSquare    transformers pads the image to a square before resizing: true only for a
 *                       {@code LlavaImageProcessor} (slow or fast) with {@code do_pad: true}, as in
 *                       {@code LlavaImageProcessor.preprocess}; {@code CLIPImageProcessor} has no such step
 */
public record PreprocessorConfig(boolean doResize, Size size, ResampleFilter resample, boolean doCenterCrop,
                                 int cropHeight, int cropWidth, boolean doRescale, double rescaleFactor,
                                 boolean doNormalize, double[] imageMean, double[] imageStd, boolean doConvertRgb,
                                 boolean padToSquare) {

    public static final String FILE_NAME = "preprocessor_config.json";
    /** transformers' OPENAI_CLIP_MEAN. */
    public static final double[] OPENAI_CLIP_MEAN = {0.48145466, 0.4578275, 0.40821073};
    /** transformers' OPENAI_CLIP_STD. */
    public static final double[] OPENAI_CLIP_STD = {0.26862954, 0.26130258, 0.27577711};
    /** Largest accepted resize or crop side; keeps a typo from allocating gigabytes. */
    public static final int MAX_SIDE = 16384;

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The resize target: the shortest edge scaled to {@code shortestEdge} keeping the aspect ratio, or (when
     * {@code shortestEdge == 0}) exactly {@code height x width}.
     */
    public record Size(int shortestEdge, int height, int width) {
        public static Size shortestEdge(int n) {
            return new Size(n, 0, 0);
        }

        public static Size exactly(int height, int width) {
            return new Size(0, height, width);
        }

        public boolean isShortestEdge() {
            return shortestEdge > 0;
        }

        /**
         * The output {height, width} for an input of {@code inHeight x inWidth}: transformers'
         * {@code get_resize_output_image_size(default_to_square=False)} for a shortest edge (the long side is
         * {@code int(shortest * long / short)}, truncated), else the fixed size.
         */
        public int[] outputSize(int inHeight, int inWidth) {
            if (!isShortestEdge()) {
                return new int[] {height, width};
            }
            boolean portrait = inWidth <= inHeight;
            int shortSide = portrait ? inWidth : inHeight;
            int longSide = portrait ? inHeight : inWidth;
            // Python: int(requested_new_short * long / short), true division in double.
            long newLong = (long) ((double) ((long) shortestEdge * longSide) / shortSide);
            if (newLong > MAX_SIDE * 64L) {
                throw new IllegalArgumentException("resizing " + inWidth + "x" + inHeight + " to shortest edge "
                        + shortestEdge + " gives a long side of " + newLong);
            }
            return portrait ? new int[] {(int) newLong, shortestEdge} : new int[] {shortestEdge, (int) newLong};
        }
    }

    /** A CLIP processor's settings (no pad step). */
    public PreprocessorConfig(boolean doResize, Size size, ResampleFilter resample, boolean doCenterCrop,
                              int cropHeight, int cropWidth, boolean doRescale, double rescaleFactor,
                              boolean doNormalize, double[] imageMean, double[] imageStd, boolean doConvertRgb) {
        this(doResize, size, resample, doCenterCrop, cropHeight, cropWidth, doRescale, rescaleFactor, doNormalize,
                imageMean, imageStd, doConvertRgb, false);
    }

    public PreprocessorConfig {
        if (imageMean.length != 3 || imageStd.length != 3) {
            throw new IllegalArgumentException("image_mean and image_std need 3 values");
        }
        imageMean = imageMean.clone();
        imageStd = imageStd.clone();
    }

    @Override
    public double[] imageMean() {
        return imageMean.clone();
    }

    @Override
    public double[] imageStd() {
        return imageStd.clone();
    }

    /**
     * CLIP's processor for a tower of {@code imageSize} pixels, as when no file is given: shortest edge = crop =
     * {@code imageSize}, bicubic, rescale 1/255, OpenAI CLIP mean and std.
     */
    public static PreprocessorConfig clipDefaults(int imageSize) {
        if (imageSize <= 0 || imageSize > MAX_SIDE) {
            throw new IllegalArgumentException("image size must be in 1.." + MAX_SIDE + ", got " + imageSize);
        }
        return new PreprocessorConfig(true, Size.shortestEdge(imageSize), ResampleFilter.BICUBIC, true, imageSize,
                imageSize, true, 1 / 255.0, true, OPENAI_CLIP_MEAN, OPENAI_CLIP_STD, true);
    }

    /** {@code dir/preprocessor_config.json} when it exists, else {@link #clipDefaults(int)}. */
    public static PreprocessorConfig forDirectory(Path dir, int imageSize) {
        Path file = dir.resolve(FILE_NAME);
        // Anything present is read (a FIFO or directory there is an error, not "absent").
        return Files.exists(file) ? read(file) : clipDefaults(imageSize);
    }

    public static PreprocessorConfig read(Path file) {
        String text;
        try {
            text = SmallFiles.readText(file, FileLimit.CONFIG);
        } catch (InvalidInputException e) {
            throw new ConfigException(e.source(), e.problem());
        }
        return parse(text, file.toString());
    }

    /** Parses the JSON text of a preprocessor config; {@code source} names it in errors. */
    public static PreprocessorConfig parse(String json, String source) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new ConfigException(source, "not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (!(root instanceof ObjectNode object)) {
            throw new ConfigException(source, "expected a JSON object at the top level");
        }
        Reader r = new Reader(source, object);
        boolean doResize = r.bool("do_resize", true);
        Size size = r.size();
        ResampleFilter resample = r.resample();
        boolean doCenterCrop = r.bool("do_center_crop", true);
        int[] crop = r.cropSize();
        boolean doRescale = r.bool("do_rescale", true);
        double rescale = r.number("rescale_factor", 1 / 255.0);
        boolean doNormalize = r.bool("do_normalize", true);
        double[] mean = r.triple("image_mean", OPENAI_CLIP_MEAN, false);
        double[] std = r.triple("image_std", OPENAI_CLIP_STD, true);
        boolean doConvertRgb = r.bool("do_convert_rgb", true);
        // Only LlavaImageProcessor(Fast) reads do_pad (default false); CLIPImageProcessor ignores the field.
        JsonNode type = r.get("image_processor_type");
        boolean llavaProcessor = type != null && type.isTextual() && type.asText().startsWith("LlavaImageProcessor");
        boolean padToSquare = llavaProcessor && r.bool("do_pad", false);
        return new PreprocessorConfig(doResize, size, resample, doCenterCrop, crop[0], crop[1], doRescale, rescale,
                doNormalize, mean, std, doConvertRgb, padToSquare);
    }

    /**
     * LLaVA's pad colour: {@code tuple(int(x * 255) for x in image_mean)} (truncated toward zero), kept in 0..255.
     */
    public int[] padBackground() {
        int[] bg = new int[3];
        for (int c = 0; c < 3; c++) {
            bg[c] = Math.clamp((long) (imageMean[c] * 255), 0, 255);
        }
        return bg;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PreprocessorConfig p && doResize == p.doResize && size.equals(p.size)
                && resample == p.resample && doCenterCrop == p.doCenterCrop && cropHeight == p.cropHeight
                && cropWidth == p.cropWidth && doRescale == p.doRescale
                && Double.compare(rescaleFactor, p.rescaleFactor) == 0 && doNormalize == p.doNormalize
                && Arrays.equals(imageMean, p.imageMean) && Arrays.equals(imageStd, p.imageStd)
                && doConvertRgb == p.doConvertRgb && padToSquare == p.padToSquare;
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(doResize, size, resample, doCenterCrop, cropHeight, cropWidth, doRescale,
                rescaleFactor, doNormalize, Arrays.hashCode(imageMean), Arrays.hashCode(imageStd), doConvertRgb,
                padToSquare);
    }

    @Override
    public String toString() {
        return "PreprocessorConfig[doResize=" + doResize + ", size=" + size + ", resample=" + resample
                + ", doCenterCrop=" + doCenterCrop + ", crop=" + cropHeight + "x" + cropWidth + ", doRescale="
                + doRescale + ", rescaleFactor=" + rescaleFactor + ", doNormalize=" + doNormalize + ", imageMean="
                + Arrays.toString(imageMean) + ", imageStd=" + Arrays.toString(imageStd) + ", doConvertRgb="
                + doConvertRgb + ", padToSquare=" + padToSquare + "]";
    }

    /** Field-by-field reading with errors naming {@code file: field}. */
    private record Reader(String source, ObjectNode node) {
        String where(String field) {
            return source + ": " + field;
        }

        JsonNode get(String field) {
            JsonNode v = node.get(field);
            return v == null || v.isNull() ? null : v;
        }

        boolean bool(String field, boolean dflt) {
            JsonNode v = get(field);
            if (v == null) {
                return dflt;
            }
            if (!v.isBoolean()) {
                throw new ConfigException(where(field), "expected true or false, found " + v);
            }
            return v.booleanValue();
        }

        double number(String field, double dflt) {
            JsonNode v = get(field);
            if (v == null) {
                return dflt;
            }
            if (!v.isNumber() || !Double.isFinite(v.doubleValue())) {
                throw new ConfigException(where(field), "expected a number, found " + v);
            }
            return v.doubleValue();
        }

        int side(JsonNode v, String field) {
            if (v == null) {
                throw new ConfigException(where(field), "missing");
            }
            if (!v.isIntegralNumber() || !v.canConvertToInt()) {
                throw new ConfigException(where(field), "expected a positive integer, found " + v);
            }
            int n = v.intValue();
            if (n <= 0 || n > MAX_SIDE) {
                throw new ConfigException(where(field), "must be in 1.." + MAX_SIDE + ", found " + n);
            }
            return n;
        }

        Size size() {
            JsonNode v = get("size");
            if (v == null) {
                return Size.shortestEdge(224);
            }
            if (v.isIntegralNumber()) {
                return Size.shortestEdge(side(v, "size"));
            }
            if (v.isArray()) {
                int[] hw = pair(v, "size");
                return Size.exactly(hw[0], hw[1]);
            }
            if (v.isObject()) {
                if (v.has("shortest_edge")) {
                    return Size.shortestEdge(side(v.get("shortest_edge"), "size.shortest_edge"));
                }
                if (v.has("height") || v.has("width")) {
                    return Size.exactly(side(v.get("height"), "size.height"), side(v.get("width"), "size.width"));
                }
                throw new ConfigException(where("size"), "expected {\"shortest_edge\": n} or {\"height\": h, "
                        + "\"width\": w}, found " + v + " (longest_edge alone and max_height/max_width are not "
                        + "supported by the CLIP processor)");
            }
            throw new ConfigException(where("size"), "expected an integer, a [height, width] list or an object, found "
                    + v);
        }

        int[] cropSize() {
            JsonNode v = get("crop_size");
            if (v == null) {
                return new int[] {224, 224};
            }
            if (v.isIntegralNumber()) {
                int n = side(v, "crop_size");
                return new int[] {n, n};
            }
            if (v.isArray()) {
                return pair(v, "crop_size");
            }
            if (v.isObject()) {
                return new int[] {side(v.get("height"), "crop_size.height"), side(v.get("width"), "crop_size.width")};
            }
            throw new ConfigException(where("crop_size"), "expected an integer, a [height, width] list or "
                    + "{\"height\": h, \"width\": w}, found " + v);
        }

        int[] pair(JsonNode v, String field) {
            if (v.size() != 2) {
                throw new ConfigException(where(field), "a list must be [height, width], found " + v);
            }
            return new int[] {side(v.get(0), field + "[0]"), side(v.get(1), field + "[1]")};
        }

        ResampleFilter resample() {
            JsonNode v = get("resample");
            if (v == null) {
                return ResampleFilter.BICUBIC;
            }
            if (!v.isIntegralNumber() || !v.canConvertToInt()) {
                throw new ConfigException(where("resample"), "expected a PIL filter number (3 = bicubic), found " + v);
            }
            ResampleFilter f = ResampleFilter.ofPilCode(v.intValue());
            if (f == null) {
                throw new ConfigException(where("resample"), "filter " + v.intValue() + (v.intValue() == 0
                        ? " (nearest)" : "") + " is not supported; supported: 1 lanczos, 2 bilinear, 3 bicubic, "
                        + "4 box, 5 hamming");
            }
            return f;
        }

        double[] triple(String field, double[] dflt, boolean nonZero) {
            JsonNode v = get(field);
            if (v == null) {
                return dflt.clone();
            }
            double[] out = new double[3];
            if (v.isNumber()) {
                Arrays.fill(out, v.doubleValue());
            } else if (v.isArray() && v.size() == 3) {
                for (int i = 0; i < 3; i++) {
                    JsonNode e = v.get(i);
                    if (!e.isNumber()) {
                        throw new ConfigException(where(field) + "[" + i + "]", "expected a number, found " + e);
                    }
                    out[i] = e.doubleValue();
                }
            } else {
                throw new ConfigException(where(field), "expected a number or a list of 3 numbers (R, G, B), found "
                        + v);
            }
            for (int i = 0; i < 3; i++) {
                if (!Double.isFinite(out[i]) || nonZero && out[i] == 0.0) {
                    throw new ConfigException(where(field), (nonZero ? "must be finite and non-zero" : "must be finite")
                            + ", found " + v);
                }
            }
            return out;
        }
    }
}
