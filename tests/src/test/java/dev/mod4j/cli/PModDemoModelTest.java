package dev.mod4j.cli;

import dev.mod4j.api.Answer;
import dev.mod4j.api.DemoAssets;
import dev.mod4j.api.Llava;
import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.report.DemoFixture;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PModDemoModelTest {
    @Test
    void twinKeepsTheDemoWeightsSoDenseAgreesAndPModSkipsImageTokens() {
        Path demo = DemoFixture.model();
        Path twin = PModDemoModel.ensure(demo);
        String q = DemoAssets.QUESTION;
        try (Llava gmod = Llava.open(demo); Llava pmod = Llava.open(twin)) {
            Answer a = gmod.request(DemoAssets.image(), q).maxNewTokens(4).ask();
            Answer b = pmod.request(DemoAssets.image(), q).maxNewTokens(4).ask();
            assertArrayEquals(a.tokens(), b.tokens(), "same weights, same dense answer");
            Answer p = pmod.request(DemoAssets.image(), q).schedule("pmod").maxNewTokens(4).ask();
            assertTrue(Arrays.stream(p.imageTokensPerLayer()).min().orElseThrow() < 64,
                    Arrays.toString(p.imageTokensPerLayer()));
            assertThrows(InvalidInputException.class, () -> gmod.schedule("pmod"), "the demo model has γ-MoD routers only");
            assertThrows(InvalidInputException.class, () -> pmod.schedule("gmod"), "the twin has p-MoD routers only");
        }
    }
}
