package dev.mod4j.loaders.image;

import dev.mod4j.loaders.npy.NpyArray;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every golden case: PIL's resize + transformers' crop/rescale/normalize (see generate_image_golden.py) against
 * ImagePreprocessor, to 1e-5 on the floats and to the bit on the uint8 resize output.
 */
class ImagePreprocessorGoldenTest {
    @TempDir
    Path tmp;

    static List<ImageGolden.Case> cases() {
        return ImageGolden.cases();
    }

    private ImagePreprocessor processorFor(ImageGolden.Case c) throws Exception {
        // Through a real preprocessor_config.json, so the config reader is part of what is checked.
        Path cfg = tmp.resolve(PreprocessorConfig.FILE_NAME);
        Files.writeString(cfg, c.configJson());
        return new ImagePreprocessor(PreprocessorConfig.read(cfg));
    }

    /** PIL's decoded pixels in, exact float results out (JPEG cases included: same input pixels as PIL's). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesPythonOnPilDecodedPixels(ImageGolden.Case c) throws Exception {
        ImagePreprocessor p = processorFor(c);
        DecodedImage input = ImageDecoder.decode(ImageGolden.file(c.pixelsFrom()));
        NpyArray expected = ImageGolden.readNpyGz(c.expected(), tmp);
        ImagePreprocessor.Stages stages = p.stages(input, c.pad());
        long[] shape = expected.shape();
        assertArrayEquals(new int[] {(int) shape[0], (int) shape[1], (int) shape[2]}, stages.shape(), c.id());
        if (c.resized() != null) {
            DecodedImage pilResized = ImageDecoder.decode(ImageGolden.file(c.resized()));
            int diff = ImageGolden.maxLevelDiff(pilResized, stages.resized());
            System.out.printf("image golden %-32s resize uint8: %d of %d samples differ, max %d levels%n", c.id(),
                    ImageGolden.differingSamples(pilResized, stages.resized()), pilResized.rgb().length, diff);
            assertEquals(0, diff, c.id() + ": uint8 resize differs from PIL's");
        }
        float diff = ImageGolden.maxAbsDiff(expected.data(), stages.pixels());
        float fast = ImageGolden.maxAbsDiff(expected.data(), p.preprocess(input, c.pad()));
        System.out.printf("image golden %-32s pixels %s: max |diff| %.3g (preprocess path %.3g)%n", c.id(),
                java.util.Arrays.toString(shape), diff, fast);
        assertTrue(diff <= 1e-5f, c.id() + ": max |diff| " + diff);
        assertTrue(fast <= 1e-5f, c.id() + ": max |diff| " + fast);
    }

    /**
     * Where the processor decides (llava-hf checkpoints): CLIPImageProcessor never pads, LlavaImageProcessor pads
     * with do_pad, and {@link ImageAspect#of} follows the config for a llava-hf model.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("processorCases")
    void theConfiguredProcessorDecidesThePadAsTransformersDoes(ImageGolden.Case c) throws Exception {
        PreprocessorConfig config = processorFor(c).config();
        DecodedImage input = ImageDecoder.decode(ImageGolden.file(c.pixelsFrom()));
        boolean square = input.width() == input.height();
        assertEquals(c.pad(), config.padToSquare() && !square, c.id());
        ImageAspect aspect = ImageAspect.of(dev.mod4j.loaders.config.ModelFamily.LLAVA_HF, null, config);
        assertEquals(config.padToSquare() ? ImageAspect.PAD : ImageAspect.CROP, aspect, c.id());
    }

    static List<ImageGolden.Case> processorCases() {
        return ImageGolden.cases().stream().filter(ImageGolden.Case::processorDecides).toList();
    }

    /**
     * The same cases from the original files through mod4j's own decoder, the whole pipeline end to end. Exact:
     * decoding matches PIL's to the bit on these files (see ImageDecoderTest), JPEGs included.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesPythonFromTheOriginalFile(ImageGolden.Case c) throws Exception {
        ImagePreprocessor p = processorFor(c);
        DecodedImage input = ImageDecoder.decode(ImageGolden.file("inputs/" + c.image()));
        NpyArray expected = ImageGolden.readNpyGz(c.expected(), tmp);
        float diff = ImageGolden.maxAbsDiff(expected.data(), p.preprocess(input, c.pad()));
        System.out.printf("image golden %-32s from %s: max |diff| %.3g%n", c.id(), c.image(), diff);
        assertTrue(diff <= 1e-5f, c.id() + ": max |diff| " + diff);
    }
}
