package dev.mod4j.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mod4j.api.Llava;
import dev.mod4j.loaders.image.ImageDecoder;
import dev.mod4j.runtime.compare.ScheduleRun;
import dev.mod4j.runtime.generate.GenerationResult;
import dev.mod4j.runtime.llava.MultimodalModel;
import dev.mod4j.runtime.llava.PreprocessedImage;
import dev.mod4j.runtime.model.Session;
import dev.mod4j.runtime.prompt.PromptRows;
import org.junit.jupiter.api.Test;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.StreamSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The report's drawing of a LLaVA-NeXT image on the tiny NeXT golden model (original layout, CLIP 64 px / patch 8,
 * so p = 8) with the 4:3 photo-200x150: a 2×2 grid of 16×16 feature cells, of which unpad_image keeps rows 2..13
 * (LLaVA: new height int(150·16/200) = 12, padding (16−12)/2 = 2), each followed by a newline: 64 base rows +
 * 12 × 17 = 268 image rows. The expected cell of prompt row i is written out from that geometry (not from
 * AnyresPacking): i &lt; 64 base patch i; else j = i − 64, grid row 2 + j / 17, column j mod 17, 16 being the newline.
 * Every drawn cell's centre is checked against the trace's processed positions, for dense and PyramidDrop at each
 * layer.
 */
class TiledPatchStripsTest {
    private static final int P = 8;

    @Test
    void drawnCellsAreTheRowsEachLayerKept() throws Exception {
        Path root = Path.of(TiledPatchStripsTest.class.getResource("/golden/next/summary.json").toURI()).getParent();
        JsonNode golden = new ObjectMapper().readTree(root.resolve("llava-next-original/photo-200x150/golden.json")
                .toFile());
        int[] ids = StreamSupport.stream(golden.get("input_ids").spliterator(), false).mapToInt(JsonNode::asInt)
                .toArray();
        try (Llava llava = Llava.open(root.resolve("llava-next-original"))) {
            MultimodalModel model = llava.model();
            PreprocessedImage image = model.preprocessImage(ImageDecoder.decode(root.resolve("images/photo-200x150.png")));
            PromptRows prompt = model.promptWithImages(ids, List.of(image));
            List<ScheduleRun> runs = new ArrayList<>();
            Session session = model.decoder().newSession(prompt.length());
            for (String spec : List.of("dense", "pdrop:layers=1,2,3;ratios=0.5,0.25,0.125")) {
                session.reset();
                session.schedule(llava.schedule(spec)).tracing(true);
                session.prefill(prompt, null);
                runs.add(new ScheduleRun(spec, new GenerationResult(new int[0], new int[0], false, 0, 0),
                        session.trace().copy(), session.trace().prefillMacs(), session.trace().totalMacs(),
                        session.kvCacheEntries(), session.kvCacheBytes()));
            }
            TiledPatchStrips.Layout layout = TiledPatchStrips.Layout.of(model, image, prompt.imageStart());
            assertEquals(2, layout.gridRows());
            assertEquals(2, layout.gridColumns());
            assertEquals(268, layout.sourceRows().length);
            TiledPatchStrips.Geometry geo = TiledPatchStrips.Geometry.of(layout);
            BufferedImage input = TiledPatchStrips.input(layout);
            List<Integer> layers = List.of(0, 1, 2, 3);
            int[] expectedKept = {268, 134, 67, 33};
            for (ScheduleRun run : runs) {
                BufferedImage strip = TiledPatchStrips.strip(layout, run, layers);
                boolean dense = run.spec().equals("dense");
                for (int l = 0; l < layers.size(); l++) {
                    int x0 = l * (geo.panelWidth() + 14);
                    Set<Integer> processed = new HashSet<>();
                    for (int position : run.prefillLayers().get(layers.get(l)).processed()) {
                        int i = position - prompt.imageStart();
                        if (i >= 0 && i < 268) {
                            processed.add(i);
                        }
                    }
                    assertEquals(dense ? 268 : expectedKept[l], processed.size(), run.spec() + " layer " + l);
                    int checked = 0;
                    for (int i = 0; i < 268; i++) {
                        boolean kept = processed.contains(i);
                        String what = run.spec() + " layer " + l + " row " + i;
                        if (i < 64) {
                            int cx = (i % P) * geo.baseCell() + geo.baseCell() / 2;
                            int cy = (i / P) * geo.baseCell() + geo.baseCell() / 2;
                            assertCell(strip, input, x0, cx, cy, kept, geo.baseCell(), what);
                        } else {
                            int j = i - 64;
                            int y = 2 + j / 17;
                            int x = j % 17;
                            int cy = y * geo.gridCell() + geo.gridCell() / 2;
                            if (x == 16) {
                                int rgb = strip.getRGB(x0 + geo.newlineX() + 1, cy) & 0xFFFFFF;
                                assertEquals((kept ? TiledPatchStrips.NEWLINE_KEPT : TiledPatchStrips.NEWLINE_SKIPPED)
                                        .getRGB() & 0xFFFFFF, rgb, what + " (newline)");
                            } else {
                                assertCell(strip, input, x0, geo.gridX() + x * geo.gridCell() + geo.gridCell() / 2,
                                        cy, kept, geo.gridCell(), what);
                            }
                        }
                        checked++;
                    }
                    assertEquals(268, checked);
                    // Grid rows 0, 1, 14 and 15 were cut by unpad_image: hatched, never drawn as the picture.
                    for (int y : new int[]{0, 1, 14, 15}) {
                        for (int x = 0; x < 16; x++) {
                            int rgb = strip.getRGB(x0 + geo.gridX() + x * geo.gridCell() + geo.gridCell() / 2,
                                    y * geo.gridCell() + geo.gridCell() / 2) & 0xFFFFFF;
                            assertTrue(rgb == (TiledPatchStrips.UNPADDED_DARK.getRGB() & 0xFFFFFF)
                                    || rgb == (TiledPatchStrips.UNPADDED_LIGHT.getRGB() & 0xFFFFFF),
                                    run.spec() + " layer " + l + " unpadded cell " + y + "," + x);
                        }
                        // and no newline mark beside a cut row
                        assertEquals(0xFFFFFF, strip.getRGB(x0 + geo.newlineX() + 1,
                                y * geo.gridCell() + geo.gridCell() / 2) & 0xFFFFFF);
                    }
                }
            }
        }
    }

    /**
     * VisionZip on the same image (visionzip:dominant=8;contextual=2, 5 crops × 10 rows): the cells drawn as kept
     * are the patches its golden (generate_next_reduction_golden.py, written from the released code) lists for the
     * image rows, every other base patch and grid cell is greyed, and none is hatched (its packing does not unpad).
     */
    @Test
    void aVisionZipRunIsDrawnFromThePatchesItsRowsStandFor() throws Exception {
        Path root = Path.of(TiledPatchStripsTest.class.getResource("/golden/next/summary.json").toURI()).getParent();
        JsonNode golden = new ObjectMapper().readTree(root.resolve("reductions/visionzip.json").toFile());
        int[] ids = StreamSupport.stream(golden.get("input_ids").spliterator(), false).mapToInt(JsonNode::asInt)
                .toArray();
        Set<Integer> keptSources = new HashSet<>();
        golden.get("patch_of_image_row").forEach(n -> keptSources.add(n.asInt()));
        try (Llava llava = Llava.open(root.resolve("llava-next-original"))) {
            MultimodalModel model = llava.model();
            PreprocessedImage image = model.preprocessImage(ImageDecoder.decode(root.resolve("images/photo-200x150.png")));
            PromptRows prompt = model.promptWithImages(ids, List.of(image));
            Session session = model.decoder().newSession(prompt.length());
            session.schedule(llava.schedule(golden.get("spec").asText())).tracing(true);
            session.prefill(prompt, null);
            ScheduleRun run = new ScheduleRun("visionzip", new GenerationResult(new int[0], new int[0], false, 0, 0),
                    session.trace().copy(), session.trace().prefillMacs(), session.trace().totalMacs(),
                    session.kvCacheEntries(), session.kvCacheBytes());
            TiledPatchStrips.Layout layout = TiledPatchStrips.Layout.of(model, image, prompt.imageStart());
            TiledPatchStrips.Geometry geo = TiledPatchStrips.Geometry.of(layout);
            BufferedImage input = TiledPatchStrips.input(layout);
            BufferedImage strip = TiledPatchStrips.strip(layout, run, List.of(0));
            int cell = geo.baseCell();
            for (int s = 0; s < P * P; s++) {
                assertCell(strip, input, 0, (s % P) * cell + cell / 2, (s / P) * cell + cell / 2,
                        keptSources.contains(s), cell, "base patch " + s);
            }
            for (int y = 0; y < 2 * P; y++) {
                for (int x = 0; x < 2 * P; x++) {
                    int tile = 1 + (y / P) * 2 + x / P;
                    int source = tile * P * P + (y % P) * P + x % P;
                    assertCell(strip, input, 0, geo.gridX() + x * geo.gridCell() + geo.gridCell() / 2,
                            y * geo.gridCell() + geo.gridCell() / 2, keptSources.contains(source), geo.gridCell(),
                            "grid cell " + y + "," + x);
                }
            }
        }
    }

    /** A kept cell shows the picture as is; a skipped one its grey (PatchStrips' formula) instead. */
    private static void assertCell(BufferedImage strip, BufferedImage input, int x0, int cx, int cy, boolean kept,
                                   int cell, String what) {
        int source = input.getRGB(cx, cy) & 0xFFFFFF;
        int drawn = strip.getRGB(x0 + cx, cy) & 0xFFFFFF;
        assertEquals(kept ? source : PatchStrips.skipped(source, false, cell) & 0xFFFFFF, drawn, what);
    }
}
