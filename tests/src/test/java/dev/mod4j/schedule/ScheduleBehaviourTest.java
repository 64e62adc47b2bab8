package dev.mod4j.schedule;

import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.synthetic.RandomModelSpec.Routers;
import dev.mod4j.runtime.llava.MultimodalModel;
import dev.mod4j.runtime.prompt.PromptRows;
import dev.mod4j.runtime.model.Session;
import dev.mod4j.runtime.prompt.TokenRole;
import dev.mod4j.runtime.schedule.LayerRecord;
import dev.mod4j.runtime.schedule.Phase;
import dev.mod4j.runtime.schedule.Schedules;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static dev.mod4j.loaders.MessageAssertions.assertMentions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Token counts, positions and cache lengths each method must produce (9 text tokens: 4 system + 5 after the image; 16 image). */
class ScheduleBehaviourTest {
    static Path dir;
    static MultimodalModel gmodModel;
    static MultimodalModel pmodModel;

    @BeforeAll
    static void models() throws Exception {
        dir = Files.createTempDirectory("mod4j-schedules");
        gmodModel = MultimodalModel.load(ScheduleTestModels.write(dir.resolve("g"), Routers.GAMMA_MOD));
        pmodModel = MultimodalModel.load(ScheduleTestModels.write(dir.resolve("p"), Routers.P_MOD));
    }

    @AfterAll
    static void close() {
        gmodModel.close();
        pmodModel.close();
    }

    static Session prefill(MultimodalModel m, String spec, int decodeSteps) {
        PromptRows prompt = ScheduleTestModels.prompt(m);
        Session s = m.decoder().newSession(prompt.length() + decodeSteps)
                .schedule(Schedules.create(spec, m.decoder().files()));
        s.prefill(prompt, null);
        for (int i = 0; i < decodeSteps; i++) {
            s.decode(7);
        }
        return s;
    }

    static int[] imageTokensPerLayer(Session s) {
        return s.trace().prefill().stream().mapToInt(r -> r.processed(TokenRole.IMAGE)).toArray();
    }

    @Test
    void pyramidDropKeepsHalfThenAQuarterAndRenumbersPositions() {
        Session s = prefill(gmodModel, "pdrop:layers=2,4;ratios=0.5,0.25", 2);
        assertEquals("[16, 16, 8, 8, 4, 4]", java.util.Arrays.toString(imageTokensPerLayer(s)));
        // Stage caches: 10 text + kept images + 2 decode steps.
        assertEquals(9 + 16 + 2, s.cache(0).length());
        assertEquals(9 + 8 + 2, s.cache(2).length());
        assertEquals(9 + 4 + 2, s.cache(5).length());
        // Renumbered: in the last stage the first decode token (sequence index 25) sits at 25 - 8 - 4 = 13.
        assertEquals(13, s.cache(5).position(13));
        assertEquals(25, s.cache(5).tokenIndex(13));
        assertEquals(25, s.cache(0).position(25));
        // Positions within a stage are 0..n-1.
        for (int e = 0; e < s.cache(3).length(); e++) {
            assertEquals(e, s.cache(3).position(e));
        }
        // The decision was made on attention scores, which the trace keeps for the boundary layers.
        LayerRecord boundary = s.trace().prefill().get(1);
        assertEquals(25, boundary.scores().length);
        float sum = 0;
        for (float p : boundary.scores()) {
            sum += p;
        }
        assertEquals(1f, sum, 1e-4f, "head-mean softmax over all keys sums to 1");
    }

    @Test
    void fastVPrunesOnceAndKeepsOriginalPositions() {
        Session s = prefill(gmodModel, "fastv:k=2;r=0.75", 1);
        assertEquals("[16, 16, 4, 4, 4, 4]", java.util.Arrays.toString(imageTokensPerLayer(s)));
        assertEquals(9 + 4 + 1, s.cache(3).length());
        // Gapped original positions: the decode token keeps its sequence index 25.
        assertEquals(25, s.cache(3).position(13));
        int[] kept = s.trace().prefill().get(2).processed();
        for (int i = 1; i < kept.length; i++) {
            assertTrue(kept[i] > kept[i - 1]);
        }
    }

    @Test
    void pModRoutesOnlyImageTokensWithTheDecayedRatios() {
        // 6 layers, routers on 2..5: R_l = 0.5 cos(π l / 5) + 0.5; MoD if R <= 0.85; effective max(R, 0.15).
        Session s = prefill(pmodModel, "pmod", 1);
        int[] images = imageTokensPerLayer(s);
        int[] expected = new int[6];
        for (int l = 0; l < 6; l++) {
            double r = 0.5 * Math.cos(Math.PI * l / 5) + 0.5;
            expected[l] = l >= 2 && r <= 0.85 ? (int) (16 * Math.max(r, 0.15)) : 16;
        }
        assertEquals(java.util.Arrays.toString(expected), java.util.Arrays.toString(images));
        for (LayerRecord r : s.trace().prefill()) {
            assertEquals(9, r.processed(TokenRole.SYSTEM) + r.processed(TokenRole.INSTRUCTION), "text is never skipped");
        }
        // Original positions: the decode step's entry in a MoD layer is at its sequence index.
        assertEquals(25, s.cache(4).position(s.cache(4).length() - 1));
        // Decode steps run densely.
        s.trace().records().stream().filter(r -> r.phase() == Phase.DECODE)
                .forEach(r -> assertEquals(1, r.processedCount()));
    }

    @Test
    void gammaModSkipRatioSkipsHalfThePrefixAndNeverTheQuestion() {
        Session s = prefill(gmodModel, "gmod:skip=0.5", 0);
        for (LayerRecord r : s.trace().prefill()) {
            if (r.layer() >= 1 && r.layer() <= 4) {
                assertEquals(20 - 10, r.processed(TokenRole.SYSTEM) + r.processed(TokenRole.IMAGE));
                assertEquals(5, r.processed(TokenRole.INSTRUCTION));
                assertEquals(15, r.kvEntries());
                // Renumbered per layer: the cache positions are 0..14.
                assertEquals(14, s.cache(r.layer()).position(14));
            } else {
                assertEquals(25, r.processedCount());
            }
        }
    }

    @Test
    void gammaModThresholdRuleUsesTheRouter() {
        Session s = prefill(gmodModel, "gmod:threshold=0.5", 0);
        LayerRecord layer1 = s.trace().prefill().get(1);
        int above = 0;
        for (float p : layer1.scores()) {
            above += p > 0.5f ? 1 : 0;
        }
        assertEquals(above, layer1.processedCount());
        assertTrue(above > 0 && above < 25, "random router splits the tokens: " + above);
    }

    @Test
    void badSpecsAreRejectedWithTheValidKeys() {
        var files = gmodModel.decoder().files();
        assertMentions(assertThrows(InvalidInputException.class, () -> Schedules.create("pdrop:layer=8", files))
                .getMessage(), "schedule spec", "unknown key 'layer'", "valid keys", "ratios");
        assertEquals("pdrop:layers=1,3,4;ratios=0.5,0.25,0.125", Schedules.create("pdrop", files).spec(),
                "the released 8,16,24 of 32 layers, scaled to 6");
        assertMentions(assertThrows(InvalidInputException.class, () -> Schedules.create("fastv:k=9", files))
                .getMessage(), "k=9", "1..5");
        assertMentions(assertThrows(InvalidInputException.class, () -> Schedules.create("fastv:r=abc", files))
                .getMessage(), "not a number");
        assertMentions(assertThrows(InvalidInputException.class, () -> Schedules.create("pdrop:layers=2,1;ratios=.5,.2",
                files)).getMessage(), "ascending");
        assertMentions(assertThrows(InvalidInputException.class, () -> Schedules.create("magic", files)).getMessage(),
                "unknown method 'magic'");
        assertMentions(assertThrows(InvalidInputException.class, () -> Schedules.create("pmod", files)).getMessage(),
                "needs p-MoD router tensors");
        assertMentions(assertThrows(InvalidInputException.class, () -> Schedules.create("gmod",
                pmodModel.decoder().files())).getMessage(), "needs γ-MoD router tensors");
    }
}
