// Compare token schedules on one request and write the HTML report (table, charts, kept patches per layer).
// Run: bin/notebook examples/notebooks/02-compare-schedules.jsh
import dev.mod4j.api.*;
import dev.mod4j.report.*;
import java.nio.file.*;
import java.util.*;

var llava = Llava.open(DemoAssets.model());
var image = DemoAssets.image();

// Schedule specs: method[:key=value;...]. gmod needs γ-MoD routers (the demo model has them); skip=0.5 makes the
// untrained router skip half the image tokens (its released threshold rule would keep them all).
var comparison = llava.request(image, "What is shown in this picture?").maxNewTokens(8).
        compare("dense,fastv:k=2;r=0.5,pdrop,gmod:skip=0.5");

for (var row : ComparisonTable.rows(comparison)) {
    System.out.println(String.format("%-44s FLOPs %6.1f%%  KV %6.1f%%  image tokens %s", row.schedule(),
            100 * row.flopsRatio(), 100 * row.kvRatio(), row.imageTokens()));
}

var dir = Files.createTempDirectory("mod4j-report-");
// (In jshell a line that completes a statement runs it: keep the dots of a call chain at the line ends.)
var page = ComparisonReport.of(comparison).
        title("Schedules on the demo model").
        note("Random, untrained weights: only the costs and the routing mechanics are meaningful.").
        stripLayers(0, 2, 4, 6).
        write(dir);
System.out.println("report: " + page.toUri());

llava.close();
/exit
