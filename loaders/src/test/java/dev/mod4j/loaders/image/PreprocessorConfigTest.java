package dev.mod4j.loaders.image;

import dev.mod4j.loaders.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static dev.mod4j.loaders.MessageAssertions.assertMentions;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PreprocessorConfigTest {
    @TempDir
    Path dir;

    /** llava-hf/llava-1.5-7b-hf's preprocessor_config.json. */
    static final String LLAVA_HF = """
            {
              "crop_size": {"height": 336, "width": 336},
              "do_center_crop": true,
              "do_convert_rgb": true,
              "do_normalize": true,
              "do_rescale": true,
              "do_resize": true,
              "image_mean": [0.48145466, 0.4578275, 0.40821073],
              "image_processor_type": "CLIPImageProcessor",
              "image_std": [0.26862954, 0.26130258, 0.27577711],
              "processor_class": "LlavaProcessor",
              "resample": 3,
              "rescale_factor": 0.00392156862745098,
              "size": {"shortest_edge": 336}
            }
            """;

    /** openai/clip-vit-large-patch14-336's: the older feature-extractor form with ints. */
    static final String OPENAI_CLIP_336 = """
            {
              "crop_size": 336,
              "do_center_crop": true,
              "do_normalize": true,
              "do_resize": true,
              "feature_extractor_type": "CLIPFeatureExtractor",
              "image_mean": [0.48145466, 0.4578275, 0.40821073],
              "image_std": [0.26862954, 0.26130258, 0.27577711],
              "resample": 3,
              "size": 336
            }
            """;

    private Path write(String json) throws Exception {
        Path p = dir.resolve(PreprocessorConfig.FILE_NAME);
        Files.writeString(p, json);
        return p;
    }

    private String failure(String json) throws Exception {
        Path p = write(json);
        return assertThrows(ConfigException.class, () -> PreprocessorConfig.read(p)).getMessage();
    }

    @Test
    void realFilesAndTheDefaultsAgree() throws Exception {
        PreprocessorConfig hf = PreprocessorConfig.read(write(LLAVA_HF));
        PreprocessorConfig openai = PreprocessorConfig.read(write(OPENAI_CLIP_336));
        PreprocessorConfig defaults = PreprocessorConfig.clipDefaults(336);
        assertEquals(PreprocessorConfig.Size.shortestEdge(336), hf.size());
        assertEquals(336, hf.cropHeight());
        assertEquals(336, hf.cropWidth());
        assertEquals(ResampleFilter.BICUBIC, hf.resample());
        assertEquals(1 / 255.0, hf.rescaleFactor(), 0.0);
        assertEquals(hf, openai);
        assertEquals(hf, defaults);
        assertArrayEquals(new int[] {122, 116, 104}, hf.padBackground());
    }

    @Test
    void absentFileMeansClipDefaultsForTheTowerSize() throws Exception {
        assertEquals(PreprocessorConfig.clipDefaults(224), PreprocessorConfig.forDirectory(dir, 224));
        write(OPENAI_CLIP_336);
        assertEquals(PreprocessorConfig.clipDefaults(336), PreprocessorConfig.forDirectory(dir, 224));
    }

    @Test
    void absentFieldsTakeClipImageProcessorDefaults() throws Exception {
        PreprocessorConfig c = PreprocessorConfig.read(write("{}"));
        assertEquals(PreprocessorConfig.clipDefaults(224), c);
        assertTrue(c.doResize() && c.doCenterCrop() && c.doRescale() && c.doNormalize() && c.doConvertRgb());
    }

    @Test
    void otherSizeForms() throws Exception {
        PreprocessorConfig c = PreprocessorConfig.read(write("""
                {"size": {"height": 40, "width": 30}, "crop_size": [20, 24], "image_mean": 0.5, "image_std": [1, 2, 3],
                 "resample": 2, "do_normalize": false}"""));
        assertEquals(PreprocessorConfig.Size.exactly(40, 30), c.size());
        assertEquals(20, c.cropHeight());
        assertEquals(24, c.cropWidth());
        assertArrayEquals(new double[] {0.5, 0.5, 0.5}, c.imageMean());
        assertArrayEquals(new double[] {1, 2, 3}, c.imageStd());
        assertEquals(ResampleFilter.BILINEAR, c.resample());
        assertFalse(c.doNormalize());
        assertEquals(PreprocessorConfig.Size.exactly(7, 9),
                PreprocessorConfig.read(write("{\"size\": [7, 9]}")).size());
        // CLIPImageProcessor.resize only looks at shortest_edge.
        assertEquals(PreprocessorConfig.Size.shortestEdge(224),
                PreprocessorConfig.read(write("{\"size\": {\"shortest_edge\": 224, \"longest_edge\": 500}}")).size());
    }

    @Test
    void shortestEdgeOutputSizeTruncatesTheLongSideAsPythonInt() {
        PreprocessorConfig.Size s = PreprocessorConfig.Size.shortestEdge(336);
        assertArrayEquals(new int[] {336, 448}, s.outputSize(3000, 4000));
        assertArrayEquals(new int[] {448, 336}, s.outputSize(4000, 3000));
        // int(336 * 64 / 20) = int(1075.2) = 1075 (height 64, width 20: width is the short side).
        assertArrayEquals(new int[] {1075, 336}, s.outputSize(64, 20));
        // int(336 * 50 / 38) = int(442.105...) = 442.
        assertArrayEquals(new int[] {336, 442}, s.outputSize(38, 50));
        // Square: width <= height, so (new_long, new_short).
        assertArrayEquals(new int[] {336, 336}, s.outputSize(29, 29));
        assertArrayEquals(new int[] {41, 23}, PreprocessorConfig.Size.exactly(41, 23).outputSize(38, 50));
    }

    @Test
    void badFieldsAreNamed() throws Exception {
        assertMentions(failure("{\"size\": {\"shortest_edge\": -3}}"), "preprocessor_config.json: size.shortest_edge",
                "1..16384", "-3");
        assertMentions(failure("{\"size\": \"big\"}"), "preprocessor_config.json: size", "expected");
        assertMentions(failure("{\"size\": {\"longest_edge\": 300}}"), "preprocessor_config.json: size",
                "shortest_edge");
        assertMentions(failure("{\"size\": {\"height\": 30}}"), "preprocessor_config.json: size.width", "missing");
        assertMentions(failure("{\"crop_size\": {\"height\": 30, \"width\": 2.5}}"),
                "preprocessor_config.json: crop_size.width", "positive integer");
        assertMentions(failure("{\"crop_size\": [1, 2, 3]}"), "preprocessor_config.json: crop_size", "[height, width]");
        assertMentions(failure("{\"resample\": 0}"), "preprocessor_config.json: resample", "0 (nearest)",
                "not supported");
        assertMentions(failure("{\"resample\": \"bicubic\"}"), "preprocessor_config.json: resample", "3 = bicubic");
        assertMentions(failure("{\"image_mean\": [0.5, 0.5]}"), "preprocessor_config.json: image_mean", "3 numbers");
        assertMentions(failure("{\"image_mean\": [0.5, \"x\", 0.5]}"), "preprocessor_config.json: image_mean[1]",
                "expected a number");
        assertMentions(failure("{\"image_std\": [0.5, 0, 0.5]}"), "preprocessor_config.json: image_std", "non-zero");
        assertMentions(failure("{\"do_resize\": \"yes\"}"), "preprocessor_config.json: do_resize", "true or false");
        assertMentions(failure("{\"rescale_factor\": \"1/255\"}"), "preprocessor_config.json: rescale_factor",
                "expected a number");
        assertMentions(failure("[1, 2]"), "preprocessor_config.json", "JSON object");
        assertMentions(failure("{\"size\": "), "preprocessor_config.json", "not valid JSON");
    }

    @Test
    void padBackgroundTruncatesLikePythonInt() {
        PreprocessorConfig c = PreprocessorConfig.clipDefaults(224);
        PreprocessorConfig half = new PreprocessorConfig(true, c.size(), c.resample(), true, 224, 224, true,
                1 / 255.0, true, new double[] {0.5, 0.999, 0.0}, c.imageStd(), true);
        // int(127.5) = 127, int(254.745) = 254.
        assertArrayEquals(new int[] {127, 254, 0}, half.padBackground());
    }

    @Test
    void onlyLlavaImageProcessorWithDoPadPadsToASquare() {
        assertFalse(PreprocessorConfig.parse("{\"image_processor_type\": \"CLIPImageProcessor\"}", "p").padToSquare(),
                "llava-hf/llava-1.5-7b-hf's processor has no pad step");
        assertFalse(PreprocessorConfig.parse("{\"image_processor_type\": \"CLIPImageProcessor\", \"do_pad\": true}",
                "p").padToSquare(), "CLIPImageProcessor ignores do_pad");
        assertFalse(PreprocessorConfig.parse("{\"image_processor_type\": \"LlavaImageProcessor\"}", "p").padToSquare(),
                "LlavaImageProcessor's do_pad defaults to false");
        assertTrue(PreprocessorConfig.parse("{\"image_processor_type\": \"LlavaImageProcessor\", \"do_pad\": true}",
                "p").padToSquare());
        assertTrue(PreprocessorConfig.parse("{\"image_processor_type\": \"LlavaImageProcessorFast\", \"do_pad\": true}",
                "p").padToSquare());
        assertFalse(PreprocessorConfig.parse("{\"do_pad\": true}", "p").padToSquare(), "no processor named: CLIP's");
        ConfigException e = assertThrows(ConfigException.class, () -> PreprocessorConfig.parse(
                "{\"image_processor_type\": \"LlavaImageProcessor\", \"do_pad\": \"yes\"}", "p.json"));
        assertMentions(e.getMessage(), "p.json: do_pad", "expected true or false");
    }
}
