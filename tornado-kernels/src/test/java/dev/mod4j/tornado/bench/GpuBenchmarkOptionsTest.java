package dev.mod4j.tornado.bench;

import dev.mod4j.loaders.InvalidInputException;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The GPU benchmark's options and schedule; no device needed (the benchmark itself runs from bench/gpu/run). */
class GpuBenchmarkOptionsTest {

    @Test
    void pyramidDropOnTheFull32LayerStackIsTheReleasedSchedule() {
        // PyramidDrop's LLaVA-1.5 configuration: layer_list [8, 16, 24], image tokens halved at each (λ = 0.5).
        assertEquals("pdrop:layers=8,16,24;ratios=0.5,0.25,0.125", GpuBenchmark.pyramidDrop(32).spec());
    }

    @Test
    void pyramidDropIsScaledToAShorterStackAsBenchSchedulesDoes() {
        assertEquals("pdrop:layers=2,4,6;ratios=0.5,0.25,0.125", GpuBenchmark.pyramidDrop(8).spec());
        assertEquals("pdrop:layers=1;ratios=0.5", GpuBenchmark.pyramidDrop(2).spec());
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> GpuBenchmark.pyramidDrop(1));
        assertTrue(e.getMessage().contains("--layers"), e.getMessage());
    }

    @Test
    void defaultsAreTheH100SizedRunAndSmokeShrinksThem() {
        GpuBenchmark.Options full = GpuBenchmark.Options.parse(new String[]{"--out", "/tmp/x"});
        assertEquals(8, full.layers());
        assertEquals(512, full.promptTokens());
        assertEquals(64, full.decodeTokens());
        assertEquals(Path.of("/tmp/x/models"), full.cacheDir());
        GpuBenchmark.Options smoke = GpuBenchmark.Options.parse(new String[]{"--out", "/tmp/x", "--smoke"});
        assertEquals(32, smoke.promptTokens());
        assertEquals(4, smoke.layers());
    }

    @Test
    void badOptionsAreOneLineErrorsNamingTheOption() {
        for (String[] args : new String[][]{{}, {"--out", "o", "--layers", "0"}, {"--out", "o", "--layers", "33"},
                {"--out", "o", "--weights", "bf16"}, {"--out", "o", "--sections", "decode,nope"},
                {"--out", "o", "--rounds", "x"}, {"--out", "o", "--bogus"}, {"--out"}}) {
            InvalidInputException e = assertThrows(InvalidInputException.class,
                    () -> GpuBenchmark.Options.parse(args), String.join(" ", args));
            assertTrue(e.getMessage().startsWith("--"), e.getMessage());
            assertTrue(!e.getMessage().contains("\n"), e.getMessage());
        }
    }
}
