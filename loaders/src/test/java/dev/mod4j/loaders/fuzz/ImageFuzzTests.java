package dev.mod4j.loaders.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.mod4j.loaders.image.DecodedImage;
import dev.mod4j.loaders.image.ImageDecoder;
import dev.mod4j.loaders.image.ImagePreprocessor;
import dev.mod4j.loaders.image.PreprocessorConfig;

import java.nio.file.Path;

/** Fuzzes PNG/JPEG decoding and CLIP preprocessing. Seeds: ImageFuzzTestsInputs/decodeImage (the image fixtures). */
class ImageFuzzTests {
    private static final Path DIR = FuzzContract.scratch("image");
    /** Small pixel budget so that a fuzzed header cannot make one input decode a huge image. */
    private static final ImageDecoder DECODER = new ImageDecoder(1L << 20);
    private static final int MAX_PREPROCESS_SIDE = 2048;
    private static final ImagePreprocessor CLIP = new ImagePreprocessor(PreprocessorConfig.clipDefaults(224));

    @FuzzTest(maxDuration = "2m")
    void decodeImage(byte[] bytes) throws Exception {
        Path file = FuzzContract.write(DIR.resolve("fuzz.img"), bytes);
        FuzzContract.check("image", () -> {
            DecodedImage image = DECODER.read(file);
            if (Math.max(image.width(), image.height()) > MAX_PREPROCESS_SIDE) {
                // Padding a 1x5000 strip resizes a 5000x5000 canvas: correct but seconds per input under
                // instrumentation. Extreme aspect ratios are covered by ImagePreprocessorTest instead.
                return;
            }
            float[] pixels = CLIP.preprocess(image, true);
            if (pixels.length != 3 * 224 * 224) {
                throw new AssertionError("preprocess gave " + pixels.length + " values");
            }
            CLIP.preprocess(image, false);
        });
    }
}
