package dev.mod4j.loaders.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.mod4j.loaders.image.ImagePreprocessor;
import dev.mod4j.loaders.image.PreprocessorConfig;

import java.nio.file.Path;

/**
 * Fuzzes preprocessor_config.json reading: {@code PreprocessorConfig.read}, then building the preprocessor from it
 * (its lookup tables). Seeds: PreprocessorConfigFuzzTestsInputs/readPreprocessorConfig (the golden models' files and
 * transformers' variants: size as an int, shortest_edge, height/width, crop_size forms, resample codes).
 */
class PreprocessorConfigFuzzTests {
    private static final Path DIR = FuzzContract.scratch("preprocessor");

    @FuzzTest(maxDuration = "2m")
    void readPreprocessorConfig(byte[] bytes) throws Exception {
        Path file = FuzzContract.write(DIR.resolve(PreprocessorConfig.FILE_NAME), bytes);
        FuzzContract.check(PreprocessorConfig.FILE_NAME, () -> {
            PreprocessorConfig config = PreprocessorConfig.read(file);
            new ImagePreprocessor(config);
            config.toString();
        });
    }
}
