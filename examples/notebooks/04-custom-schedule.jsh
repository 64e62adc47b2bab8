// A token schedule of your own: implement TokenSchedule (one method) and compare it with the built-in ones.
// Run: bin/notebook examples/notebooks/04-custom-schedule.jsh
import dev.mod4j.api.*;
import dev.mod4j.report.*;
import dev.mod4j.runtime.prompt.TokenRole;
import dev.mod4j.runtime.schedule.*;
import java.nio.file.*;
import java.util.*;
import java.util.stream.IntStream;

// From layer `from` on, the prefill skips every other image patch (a fixed 50% skip, MoD-style: skipped tokens pass
// the layer unchanged and stay in the stream). Decode steps process their new token as usual.
class EveryOtherPatch implements TokenSchedule {
    final int from;
    EveryOtherPatch(int from) { this.from = from; }
    public String spec() { return "every-other-patch:from=" + from; }
    public LayerPlan plan(int layer, ScheduleContext context) {
        if (context.phase() != Phase.PREFILL || layer < from) return LayerPlan.DENSE;
        int[] rows = IntStream.range(0, context.rows())
                .filter(r -> context.role(r) != TokenRole.IMAGE || context.sequenceIndex(r) % 2 == 0)
                .toArray();
        return new LayerPlan(rows, null, PositionRule.ORIGINAL, null, null);
    }
}

var llava = Llava.open(DemoAssets.model());
var schedules = List.<TokenSchedule>of(llava.schedule("dense"), new EveryOtherPatch(2), llava.schedule("pdrop"));
var comparison = llava.request(DemoAssets.image(), "What is shown in this picture?").maxNewTokens(8).compare(schedules);
for (var run : comparison.runs()) {
    System.out.println(String.format("%-44s image tokens %-28s prefill MACs %,d", run.spec(), run.imageTokensCompact(),
            run.prefillMacs()));
}
var page = ComparisonReport.of(comparison).title("A custom schedule").write(Files.createTempDirectory("mod4j-custom-"));
System.out.println("report: " + page.toUri());
llava.close();
/exit
