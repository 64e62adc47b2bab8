package dev.mod4j.cli;

import dev.mod4j.api.Answer;
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
            Answer a = gmod.ask(q, gmod.prompt(DemoAssets.image(), q), gmod.schedule("dense"), 4);
            Answer b = pmod.ask(q, pmod.prompt(DemoAssets.image(), q), pmod.schedule("dense"), 4);
            assertArrayEquals(a.tokens(), b.tokens(), "same weights, same dense answer");
            Answer p = pmod.ask(q, pmod.prompt(DemoAssets.image(), q), pmod.schedule("pmod"), 4);
            assertTrue(Arrays.stream(p.imageTokensPerLayer()).min().orElseThrow() < 64,
                    Arrays.toString(p.imageTokensPerLayer()));
            assertThrows(InvalidInputException.class, () -> gmod.schedule("pmod"), "the demo model has γ-MoD routers only");
            assertThrows(InvalidInputException.class, () -> pmod.schedule("gmod"), "the twin has p-MoD routers only");
        }
    }
}
