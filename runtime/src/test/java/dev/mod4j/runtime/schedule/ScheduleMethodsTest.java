package dev.mod4j.runtime.schedule;

import dev.mod4j.loaders.InvalidInputException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.mod4j.loaders.MessageAssertions.assertMentions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ScheduleMethodsTest {
    @Test
    void theBuiltInMethodsComeFirstInTheirOrder() {
        assertEquals(List.of("dense", "fastv", "pdrop", "gmod", "pmod"), ScheduleMethods.names().subList(0, 5));
        assertTrue(ScheduleMethods.allForDemo().startsWith("dense,fastv,pdrop,gmod:skip=0.5,pmod"));
    }

    @Test
    void specErrorsNameTheNeutralSourceAndListTheMethodsOrKeys() {
        InvalidInputException unknown = assertThrows(InvalidInputException.class, () -> ScheduleSpec.parse("magic"));
        assertEquals("schedule spec", unknown.source());
        assertMentions(unknown.getMessage(), "unknown method 'magic'", "dense, fastv, pdrop, gmod, pmod");
        InvalidInputException key = assertThrows(InvalidInputException.class, () -> ScheduleSpec.parse("fastv:q=1"));
        assertMentions(key.getMessage(), "schedule spec: fastv: unknown key 'q'",
                "valid keys: k (prune after layer K (1-based); 1..L-1; default 2, or L-1 if smaller); r (");
        assertMentions(assertThrows(InvalidInputException.class, () -> ScheduleSpec.parse("dense:k=1")).getMessage(),
                "dense takes no keys");
    }

    @Test
    void aListIsSplitAtMethodNamesOnly() {
        List<ScheduleSpec> specs = ScheduleSpec.parseList("dense,pdrop:layers=8,16,24;ratios=0.5,0.25,0.125,gmod");
        assertEquals(List.of("dense", "pdrop:layers=8,16,24;ratios=0.5,0.25,0.125", "gmod"),
                specs.stream().map(ScheduleSpec::toString).toList());
    }

    @Test
    void theHelpListsEveryKeyWithItsRangeAndDefault() {
        String help = ScheduleMethods.help();
        assertMentions(help, "fastv: ", "    k  prune after layer K (1-based); 1..L-1; default 2, or L-1 if smaller",
                "pmod: ", "decay  the ratio's decay curve; shiftedcos or shiftedlinear", "gmod: ", "decode_threshold");
    }

    @Test
    void schedulesMadeByHandWriteTheCanonicalSpec() {
        assertEquals("pdrop:layers=8,16,24;ratios=0.5,0.25,0.125",
                new PyramidDropSchedule(new int[]{8, 16, 24}, new double[]{0.5, 0.25, 0.125}).spec());
        assertEquals("gmod:layers=1,3;skip=0.25;threshold=0.1;decode_threshold=0.6", new GammaModSchedule(
                java.util.Set.of(3, 1), (l, c) -> null, 0.25, 0.1, 0.6).spec());
        assertEquals("fastv:k=3;r=0.75", new FastVSchedule(3, 0.75).spec());
    }
}
