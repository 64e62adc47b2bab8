package dev.mod4j.accounting;

import dev.mod4j.loaders.npy.NpyArray;
import dev.mod4j.runtime.accounting.FlopsConvention;
import dev.mod4j.runtime.accounting.FlopsReport;
import dev.mod4j.runtime.accounting.ModelShape;
import dev.mod4j.runtime.compare.ScheduleComparison;
import dev.mod4j.runtime.compare.ScheduleRun;
import dev.mod4j.runtime.llava.MultimodalModel;
import dev.mod4j.runtime.prompt.PromptRows;
import dev.mod4j.runtime.schedule.LayerRecord;
import dev.mod4j.runtime.schedule.Schedules;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The attention ranking FastV and PyramidDrop run to choose image rows is charged to the layer that ran it in the
 * exact count (trace and {@link FlopsConvention#EXACT}), and only there: hand-computed on the golden LLaVA (d = 64,
 * 4 heads of 16, 2 KV heads: q width 64, kv width 32; 76 prompt rows, 64 of them image rows).
 */
class RankingAccountingTest {
    // One query (the last row) over n rows: k_proj n·64·32, q_proj 1·64·64, scores n·64.
    static final long RANKING_OVER_76 = 76 * 64 * 32 + 64 * 64 + 76 * 64;   // 164 608
    static final long RANKING_OVER_44 = 44 * 64 * 32 + 64 * 64 + 44 * 64;   //  97 024

    @Test
    void fastVAndPyramidDropRankingIsInTheExactCountOnly() throws Exception {
        Path dir = Path.of(RankingAccountingTest.class.getResource("/golden/schedules/pdrop.json").toURI())
                .getParent();
        float[] pixels = NpyArray.read(dir.resolve("../llava-original-f32/pixel_values.npy")).data();
        int[] ids = {1, 188, 196, 278, 268, 304, -200, 142, 126, 240, 70, 262, 201};
        try (MultimodalModel model = MultimodalModel.load(dir.resolve("model-gmod"))) {
            PromptRows prompt = model.prompt(ids, List.of(pixels));
            var files = model.decoder().files();
            ModelShape shape = ModelShape.of(model.decoder().config());
            List<ScheduleRun> runs = ScheduleComparison.run(model.decoder(), prompt, List.of(
                    Schedules.create("fastv:k=2;r=0.5", files),
                    Schedules.create("pdrop:layers=2,4;ratios=0.5,0.25", files)), 2);
            // FastV ranks in layer K−1 = 1 on its own input (76 rows); PyramidDrop ranks layer 2's and layer 4's
            // attention at the ends of layers 1 (76 rows) and 3 (44 rows).
            assertArrayEquals(new long[]{0, RANKING_OVER_76, 0, 0, 0, 0}, ranking(runs.get(0)));
            assertArrayEquals(new long[]{0, RANKING_OVER_76, 0, RANKING_OVER_44, 0, 0}, ranking(runs.get(1)));
            long[] expected = {RANKING_OVER_76, RANKING_OVER_76 + RANKING_OVER_44};
            for (int i = 0; i < runs.size(); i++) {
                ScheduleRun run = runs.get(i);
                long layersOnly = run.prefillLayers().stream().mapToLong(LayerRecord::macs).sum();
                assertEquals(layersOnly + expected[i], run.prefillMacs(), run.spec() + ": trace prefill MACs");
                FlopsReport exact = run.prefillFlops(FlopsConvention.EXACT, shape);
                assertEquals(run.prefillMacs(), exact.layerCost(), run.spec() + ": EXACT counts the ranking");
                // The papers' own formulas have no ranking term: PyramidDrop's, on the image rows (64, 32, 16).
                FlopsReport paper = run.prefillFlops(FlopsConvention.PDROP, shape);
                long[] imageRows = i == 0 ? new long[]{64, 64, 32, 32, 32, 32} : new long[]{64, 64, 32, 32, 16, 16};
                long formula = 0;
                for (long n : imageRows) {
                    formula += 4 * n * 64 * 64 + 2 * n * n * 64 + 3 * n * 64 * 176;
                }
                assertEquals(formula, paper.layerCost(), run.spec() + ": the paper's convention is unchanged");
            }
        }
    }

    private static long[] ranking(ScheduleRun run) {
        return run.prefillLayers().stream().mapToLong(LayerRecord::rankingMacs).toArray();
    }
}
