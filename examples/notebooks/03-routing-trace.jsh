// Inspect a routing trace: what every decoder layer processed, with which gates and scores, and which image patches.
// Run: bin/notebook examples/notebooks/03-routing-trace.jsh
import dev.mod4j.api.*;
import dev.mod4j.report.PatchStrips;
import dev.mod4j.report.TraceExport;
import dev.mod4j.runtime.prompt.TokenRole;
import dev.mod4j.runtime.schedule.*;
import java.nio.file.*;
import java.util.*;

var llava = Llava.open(DemoAssets.model());
var image = DemoAssets.image();
var question = "What is shown in this picture?";
var answer = llava.request(image, question).schedule("gmod:skip=0.5").maxNewTokens(4).ask();

// One LayerRecord per layer and forward pass: the prefill first (step 0), then each decode step.
System.out.println("layer  rows-in  processed  image  kv-entries      MACs  gates");
for (LayerRecord r : answer.trace().prefill()) {
    String gates = "-";
    if (r.gates() != null) {
        var stats = new DoubleSummaryStatistics();
        for (float g : r.gates()) stats.accept(g);
        gates = String.format("%.3f..%.3f", stats.getMin(), stats.getMax());
    }
    System.out.println(String.format("%5d  %7d  %9d  %5d  %10d  %,8d  %s", r.layer(), r.rowsIn(), r.processedCount(),
            r.processed(TokenRole.IMAGE), r.kvEntries(), r.macs(), gates));
}
System.out.println("decode steps recorded: " + answer.trace().records().stream().filter(r -> r.phase() == Phase.DECODE).count()
        + " layer passes");

// Which image patches layer 4 processed, on the tower's patch grid ('#' processed, '.' skipped).
var grid = PatchStrips.Grid.of(llava.prompt(image, question));
boolean[] kept = PatchStrips.processedPatches(answer.run(), grid, 4);
for (int y = 0; y < grid.side(); y++) {
    var line = new StringBuilder("  ");
    for (int x = 0; x < grid.side(); x++) line.append(kept[y * grid.side() + x] ? '#' : '.');
    System.out.println(line);
}

// The whole trace as Arrow IPC (one row per token and layer pass), for pandas / pyarrow.
var file = Files.createTempFile("mod4j-trace-", ".arrow");
TraceExport.writeArrow(Map.of(answer.schedule(), answer.trace()), file);
System.out.println("trace: " + file + " (" + Files.size(file) + " bytes)");

llava.close();
/exit
