package dev.mod4j.accounting;

import dev.mod4j.loaders.npy.NpyArray;
import dev.mod4j.runtime.accounting.FlopsConvention;
import dev.mod4j.runtime.accounting.FlopsReport;
import dev.mod4j.runtime.accounting.ModelShape;
import dev.mod4j.runtime.compare.ScheduleComparison;
import dev.mod4j.runtime.compare.ScheduleRun;
import dev.mod4j.runtime.llava.MultimodalModel;
import dev.mod4j.runtime.prompt.PromptRows;
import dev.mod4j.runtime.schedule.Schedules;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A reduction before the decoder (DivPrune; VisionZip in the tower) is costed against the prompt as it entered the decoder, under every
 * FLOPs convention (docs/methods.md §14): hand-computed on the golden LLaVA (d = 64, m = 176, 6 layers; 76 prompt
 * positions of which 64 image rows; divprune:ratio=0.25 keeps 16).
 */
class ReductionAccountingTest {
    @Test
    void divPruneIsCostedAgainstTheFullPromptUnderEveryConvention() throws Exception {
        Path dir = Path.of(ReductionAccountingTest.class.getResource("/golden/schedules/divprune.json").toURI())
                .getParent();
        float[] pixels = NpyArray.read(dir.resolve("../llava-original-f32/pixel_values.npy")).data();
        int[] ids = {1, 188, 196, 278, 268, 304, -200, 142, 126, 240, 70, 262, 201};
        try (MultimodalModel model = MultimodalModel.load(dir.resolve("model-gmod"))) {
            PromptRows prompt = model.prompt(ids, List.of(pixels));
            var files = model.decoder().files();
            List<ScheduleRun> runs = ScheduleComparison.run(model.decoder(), prompt,
                    List.of(Schedules.create("divprune:ratio=0.25", files)), 2);
            ScheduleRun divprune = runs.getFirst();
            assertArrayEquals(new int[]{16, 16, 16, 16, 16, 16}, divprune.imageTokensPerLayer());
            assertEquals(76, divprune.passes().getFirst().input().total(), "the prompt as it entered the decoder");
            ModelShape shape = ModelShape.of(model.decoder().config());
            long d = 64, m = 176;
            // PyramidDrop's convention: image tokens only, 4nd² + 2n²d + 3ndm per layer.
            FlopsReport pdrop = divprune.prefillFlops(FlopsConvention.PDROP, shape);
            assertEquals(6 * (4 * 16 * d * d + 2 * 16 * 16 * d + 3 * 16 * d * m), pdrop.layerCost());
            assertEquals(6 * (4 * 64 * d * d + 2 * 64 * 64 * d + 3 * 64 * d * m), pdrop.denseLayerCost());
            // FastV's: every processed token, 4nd² + 2n²d + 2ndm: 28 against 76.
            FlopsReport fastv = divprune.prefillFlops(FlopsConvention.FASTV, shape);
            assertEquals(6 * (4 * 28 * d * d + 2 * 28 * 28 * d + 2 * 28 * d * m), fastv.layerCost());
            assertEquals(6 * (4 * 76 * d * d + 2 * 76 * 76 * d + 2 * 76 * d * m), fastv.denseLayerCost());
            // γ-MoD's: every token, 8nd² + 4n²d + 6ndm FLOPs.
            FlopsReport gmod = divprune.prefillFlops(FlopsConvention.GAMMA_MOD, shape);
            assertEquals(6 * (8 * 28 * d * d + 4 * 28 * 28 * d + 6 * 28 * d * m), gmod.layerCost());
            assertEquals(6 * (8 * 76 * d * d + 4 * 76 * 76 * d + 6 * 76 * d * m), gmod.denseLayerCost());
            // mod4j's exact count: the dense reference runs all 76 rows.
            FlopsReport exact = divprune.prefillFlops(FlopsConvention.EXACT, shape);
            assertEquals(divprune.prefillMacs() + exact.lmHeadCost(), exact.total());
            assertEquals(28L * 6, divprune.kvCacheEntries() - 6L * (divprune.generation().tokens().length - 1),
                    "each layer cached the 28 rows that entered it");

            // VisionZip rebuilds the prompt with 10 + 6 image rows; the dense reference is still the 76 given.
            ScheduleRun visionzip = ScheduleComparison.run(model.decoder(), prompt,
                    List.of(Schedules.create("visionzip:dominant=10;contextual=6", files)), 2).getFirst();
            assertArrayEquals(new int[]{16, 16, 16, 16, 16, 16}, visionzip.imageTokensPerLayer());
            assertEquals(76, visionzip.passes().getFirst().input().total());
            FlopsReport zipPdrop = visionzip.prefillFlops(FlopsConvention.PDROP, shape);
            assertEquals(6 * (4 * 16 * d * d + 2 * 16 * 16 * d + 3 * 16 * d * m), zipPdrop.layerCost());
            assertEquals(pdrop.denseLayerCost(), zipPdrop.denseLayerCost());
            int[] patches = visionzip.trace().towerPatchOfImageRow();
            assertEquals(16, patches.length);
            assertEquals(-1, patches[0], "the class token leads the dominant rows");
        }
    }
}
