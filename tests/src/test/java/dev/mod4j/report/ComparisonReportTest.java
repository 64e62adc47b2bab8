package dev.mod4j.report;

import dev.mod4j.api.Comparison;
import dev.mod4j.api.DemoAssets;
import dev.mod4j.api.Llava;
import dev.mod4j.runtime.compare.ScheduleRun;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The HTML report on the demo model: its files hold the comparison's numbers, and Chromium renders it whole. */
class ComparisonReportTest {
    static final String SCHEDULES = "dense,fastv,pdrop,gmod:skip=0.5";
    static Comparison comparison;

    @TempDir
    Path tmp;

    @BeforeAll
    static void compare() {
        try (Llava llava = Llava.open(DemoFixture.model())) {
            comparison = llava.request(DemoAssets.image(), DemoAssets.QUESTION).maxNewTokens(3).compare(SCHEDULES);
        }
    }

    @Test
    void pageTableAndCsvHoldTheComparisonTablesNumbers() throws Exception {
        Path page = ComparisonReport.of(comparison).note("a <note> & more").write(tmp.resolve("report"));
        String html = Files.readString(page);
        List<ComparisonTable.Row> rows = ComparisonTable.rows(comparison);
        Matcher tr = Pattern.compile("<tr><td class=\"spec\">(.*?)</tr>", Pattern.DOTALL).matcher(html);
        for (ComparisonTable.Row row : rows) {
            assertTrue(tr.find(), "a table row for " + row.schedule());
            List<String> cells = Pattern.compile("<td[^>]*>(?:<span[^>]*></span>)?(.*?)</td>")
                    .matcher("<td class=\"spec\">" + tr.group(1)).results().map(m -> m.group(1)).toList();
            assertEquals(row.cells().stream().map(ReportPage::esc).toList(), cells);
        }
        assertTrue(html.contains("a &lt;note&gt; &amp; more"), "notes are escaped");
        assertFalse(html.contains("http://") || html.contains("https://"), "nothing loaded from outside");

        List<String> csv = Files.readAllLines(tmp.resolve("report/comparison.csv"));
        assertEquals(1 + comparison.runs().size(), csv.size());
        assertTrue(csv.get(2).startsWith("fastv:k=2;r=0.5,0,0,"), csv.get(2));
        int layers = comparison.reference().prefillLayers().size();
        assertEquals(1 + layers * comparison.runs().size(), Files.readAllLines(tmp.resolve("report/layers.csv")).size());

        Set<String> schedules = new HashSet<>();
        try (var allocator = new RootAllocator(); var channel = FileChannel.open(tmp.resolve("report/trace.arrow"));
             var reader = new ArrowFileReader(channel, allocator)) {
            while (reader.loadNextBatch()) {
                VarCharVector schedule = (VarCharVector) reader.getVectorSchemaRoot().getVector("schedule");
                schedules.add(new String(schedule.get(0)));
            }
        }
        assertEquals(comparison.runs().stream().map(ScheduleRun::spec).collect(java.util.stream.Collectors.toSet()), schedules);
    }

    @Test
    void stripsGreyOutExactlyThePatchesTheTraceSaysWereSkipped() throws Exception {
        ComparisonReport.of(comparison).stripLayers(0, 6).write(tmp);
        ScheduleRun pdrop = comparison.runs().get(2);
        PatchStrips.Grid grid = PatchStrips.Grid.of(comparison.prompt());
        assertEquals(8, grid.side());
        boolean[] kept = PatchStrips.processedPatches(pdrop, grid, 6);
        int count = 0;
        for (boolean k : kept) {
            count += k ? 1 : 0;
        }
        assertEquals(pdrop.imageTokensPerLayer()[6], count);
        assertEquals(8, count, "PyramidDrop keeps 1/8 of 64 image tokens after its third stage");
        BufferedImage strip = ImageIO.read(tmp.resolve("strip-3-pdrop.png").toFile());
        int cell = 21;
        int panel = cell * 8;
        int greyInLayer6 = 0;
        for (int p = 0; p < 64; p++) {
            // Sample inside the patch (off its edge line) in the second panel (layer 6).
            int rgb = strip.getRGB(panel + 12 + (p % 8) * cell + cell / 2, (p / 8) * cell + cell / 2);
            // Greyed out: neutral grey in the masks' range; the demo picture itself has no neutral greys there.
            int r = rgb >> 16 & 0xFF;
            boolean grey = r == (rgb >> 8 & 0xFF) && r == (rgb & 0xFF) && r >= 165 && r <= 240;
            greyInLayer6 += grey ? 1 : 0;
            assertEquals(!kept[p], grey, "patch " + p + (kept[p] ? " was processed" : " was skipped"));
        }
        assertEquals(64 - 8, greyInLayer6, "skipped patches are grey");
    }

    @Test
    void reportRendersInHeadlessChromiumWithEveryImageLoaded() throws Exception {
        assumeTrue(HeadlessChromium.available(), HeadlessChromium.MISSING);
        Path page = ComparisonReport.of(comparison).write(tmp.resolve("report"));
        String dom = HeadlessChromium.dumpDom(page, tmp);
        int images = 3 + 1 + comparison.runs().size();
        assertTrue(dom.contains("data-images-loaded=\"true\""), "every image loaded: " + bodyTag(dom));
        assertTrue(dom.contains("data-image-count=\"" + images + "\""), bodyTag(dom));

        Path png = tmp.resolve("page.png");
        HeadlessChromium.screenshot(page, png, 1200, 2400, tmp);
        BufferedImage shot = ImageIO.read(png.toFile());
        Set<Integer> colours = new HashSet<>();
        for (int y = 0; y < shot.getHeight(); y += 3) {
            for (int x = 0; x < shot.getWidth(); x += 3) {
                colours.add(shot.getRGB(x, y));
            }
        }
        assertTrue(colours.size() > 500, "the screenshot shows charts and pictures, not a blank page: "
                + colours.size() + " colours");

        // The check is real: a missing image is reported.
        Files.delete(tmp.resolve("report/strip-2-fastv.png"));
        String broken = HeadlessChromium.dumpDom(page, tmp);
        assertTrue(broken.contains("data-images-loaded=\"false\""), bodyTag(broken));
        assertTrue(broken.contains("strip-2-fastv.png"), bodyTag(broken));
    }

    private static String bodyTag(String dom) {
        Matcher m = Pattern.compile("<body[^>]*>").matcher(dom);
        return m.find() ? m.group() : dom.substring(0, Math.min(400, dom.length()));
    }
}
