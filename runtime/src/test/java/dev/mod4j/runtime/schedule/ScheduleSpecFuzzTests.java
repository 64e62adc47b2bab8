package dev.mod4j.runtime.schedule;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.mod4j.loaders.InvalidInputException;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Fuzzes the --schedule spec parser: a spec list parses, or fails with an InvalidInputException, and a parsed
 * spec's printed form parses back to the same spec, and
 * its typed value readers (int, double, lists) also return a value or throw InvalidInputException. Seeds: ScheduleSpecFuzzTestsInputs/parse.
 */
class ScheduleSpecFuzzTests {
    /** Per-input heap allocation budget (a spec is a few hundred bytes; see loaders' FuzzContract). */
    private static final long MAX_ALLOCATED_BYTES = 64L << 20;
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    @FuzzTest(maxDuration = "2m")
    void parse(byte[] bytes) {
        long allocatedBefore = THREADS.getCurrentThreadAllocatedBytes();
        parseChecked(bytes);
        long allocated = THREADS.getCurrentThreadAllocatedBytes() - allocatedBefore;
        if (allocated > MAX_ALLOCATED_BYTES) {
            throw new AssertionError("one spec allocated " + (allocated >> 20) + " MiB, over the budget of "
                    + (MAX_ALLOCATED_BYTES >> 20) + " MiB");
        }
    }

    private static void parseChecked(byte[] bytes) {
        String text = new String(bytes, StandardCharsets.UTF_8);
        try {
            ScheduleSpec spec = ScheduleSpec.parse(text);
            ScheduleSpec again = ScheduleSpec.parse(spec.toString());
            if (!again.equals(spec)) {
                throw new AssertionError("'" + text + "' parsed to " + spec + ", which parses back to " + again);
            }
        } catch (InvalidInputException expected) {
            // typed error: fine
        }
        try {
            List<ScheduleSpec> specs = ScheduleSpec.parseList(text);
            for (ScheduleSpec spec : specs) {
                for (String key : spec.parameters().keySet()) {
                    typedOrValue(() -> spec.intValue(key, 1, 0, 64));
                    typedOrValue(() -> spec.doubleValue(key, 0.5, 0, 1, false));
                    typedOrValue(() -> spec.intList(key, new int[0], 0, 64));
                    typedOrValue(() -> spec.doubleList(key, new double[0]));
                    typedOrValue(() -> spec.stringValue(key, ""));
                }
            }
        } catch (InvalidInputException expected) {
            // typed error: fine
        }
    }

    private static void typedOrValue(Runnable read) {
        try {
            read.run();
        } catch (InvalidInputException expected) {
            // typed error: fine
        }
    }
}
