package dev.mod4j.cli;

import dev.mod4j.report.TraceExport;
import dev.mod4j.runtime.llava.MultimodalModel;
import dev.mod4j.runtime.model.Session;
import dev.mod4j.runtime.schedule.Schedules;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Map;

/** {@code --schedule SPEC} and {@code --trace-out FILE} for commands that run one request. */
final class ScheduleOptions {
    @Option(names = "--schedule", paramLabel = "SPEC", defaultValue = "dense",
            description = "Token schedule: dense, fastv[:k=2;r=0.5], pdrop[:layers=8,16,24;ratios=0.5,0.25,0.125],"
                    + " gmod[:skip=0.5], pmod[:rmax=0.85;rmin=0.15]. Default: ${DEFAULT-VALUE}.")
    String schedule;

    @Option(names = "--trace-out", paramLabel = "FILE",
            description = "Write the routing trace (which tokens each layer processed, gates, scores) as .arrow or .json.")
    Path traceOut;

    void apply(Session session, MultimodalModel model) {
        session.schedule(Schedules.create(schedule, model.decoder().files()));
    }

    void writeTrace(Session session) {
        if (traceOut == null) {
            return;
        }
        Map<String, dev.mod4j.runtime.schedule.RoutingTrace> traces = Map.of(session.schedule().spec(), session.trace());
        if (traceOut.toString().endsWith(".json")) {
            TraceExport.writeJson(traces, traceOut);
        } else {
            TraceExport.writeArrow(traces, traceOut);
        }
    }
}
