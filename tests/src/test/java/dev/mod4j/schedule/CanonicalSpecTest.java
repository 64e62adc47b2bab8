package dev.mod4j.schedule;

import dev.mod4j.loaders.layout.ModelFiles;
import dev.mod4j.runtime.llava.MultimodalModel;
import dev.mod4j.runtime.schedule.Schedules;
import dev.mod4j.loaders.synthetic.RandomModelSpec.Routers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A schedule's spec() is its spec with every value resolved on the model (defaults filled in, ranges expanded, keys
 * in the method's order), and it recreates the same schedule.
 */
class CanonicalSpecTest {
    static MultimodalModel gmodModel;
    static MultimodalModel pmodModel;

    @BeforeAll
    static void models() throws Exception {
        Path dir = Files.createTempDirectory("mod4j-canonical");
        gmodModel = MultimodalModel.load(ScheduleTestModels.write(dir.resolve("g"), Routers.GAMMA_MOD));
        pmodModel = MultimodalModel.load(ScheduleTestModels.write(dir.resolve("p"), Routers.P_MOD));
    }

    @AfterAll
    static void close() {
        gmodModel.close();
        pmodModel.close();
    }

    static void assertCanonical(String expected, String given, ModelFiles files) {
        String spec = Schedules.create(given, files).spec();
        assertEquals(expected, spec, given);
        assertEquals(spec, Schedules.create(spec, files).spec(), "the canonical spec recreates itself");
    }

    @Test
    void builtInSpecsResolveOnTheModel() {
        ModelFiles g = gmodModel.decoder().files();
        assertCanonical("dense", "dense", g);
        assertCanonical("fastv:k=2;r=0.5", "fastv", g);
        assertCanonical("fastv:k=2;r=0.0", "fastv:r=0", g);
        assertCanonical("pdrop:layers=1,3,4;ratios=0.5,0.25,0.125", "pdrop", g);
        assertCanonical("pdrop:layers=2,3,4;ratios=0.5,0.25,0.1", "pdrop:ratios=.5,.25,.1;layers=2-4", g);
        assertCanonical("gmod:layers=1,2,4", "gmod:layers=4,1-2", g);
        assertCanonical("gmod:layers=1", "gmod:threshold=0.005;layers=1", g);
        assertCanonical("gmod:layers=1;skip=0.5;decode_threshold=0.4", "gmod:layers=1;decode_threshold=0.4;skip=0.5", g);
        // SparseVLM's pruning_loc 2,6,15 scaled to 6 layers; keep counts from the released RETAIN_TOKN table
        assertCanonical("sparsevlm:layers=0,1,3;keep=300,200,110", "sparsevlm", g);
        assertCanonical("sparsevlm:retain=64;layers=0,1,3;keep=66,30,17", "sparsevlm:retain=64", g);
        assertCanonical("sparsevlm:layers=2;keep=8", "sparsevlm:keep=8;layers=2", g);

        ModelFiles p = pmodModel.decoder().files();
        assertCanonical("pmod:decay=shiftedcos;rmax=0.85;rmin=0.15;mean=0.5", "pmod", p);
        assertCanonical("pmod:decay=shiftedlinear;rmax=0.85;rmin=0.1;mean=0.5;alpha=0.3",
                "pmod:alpha=0.3;rmin=0.1;decay=shiftedlinear;beta=1", p);
    }
}
