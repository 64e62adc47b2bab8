package dev.mod4j.loaders.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.mod4j.loaders.config.ModelConfig;

import java.nio.file.Path;

/** Fuzzes config.json parsing. Seeds: ConfigFuzzTestsInputs/loadConfig (the golden models' configs). */
class ConfigFuzzTests {
    private static final Path DIR = FuzzContract.scratch("config");

    @FuzzTest(maxDuration = "2m")
    void loadConfig(byte[] bytes) throws Exception {
        FuzzContract.write(DIR.resolve("config.json"), bytes);
        FuzzContract.check("config.json", () -> {
            ModelConfig config = ModelConfig.load(DIR);
            config.toString();
        });
    }
}
