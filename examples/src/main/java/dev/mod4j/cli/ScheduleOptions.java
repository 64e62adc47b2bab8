package dev.mod4j.cli;

import dev.mod4j.loaders.OutputFiles;
import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.report.TraceExport;
import dev.mod4j.runtime.llava.MultimodalModel;
import dev.mod4j.runtime.model.Session;
import dev.mod4j.runtime.schedule.ScheduleMethods;
import dev.mod4j.runtime.schedule.ScheduleSpec;
import dev.mod4j.runtime.schedule.Schedules;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/** {@code --schedule SPEC} and {@code --trace-out FILE} for commands that run one request. */
final class ScheduleOptions {
    @Option(names = "--schedule", paramLabel = "SPEC", defaultValue = "dense",
            description = "Token schedule: a method, or method:key=value;... (e.g. fastv:k=2;r=0.5); the methods and"
                    + " their keys are listed below. Default: ${DEFAULT-VALUE}.")
    String schedule;

    @Option(names = "--trace-out", paramLabel = "FILE",
            description = "Write the routing trace (which tokens each layer processed, gates, scores) as .arrow or .json.")
    Path traceOut;

    void apply(Session session, MultimodalModel model) {
        if (traceOut != null) {
            OutputFiles.requireWritableFile(traceOut);
        }
        // Only a trace that will be written is recorded: plain generation allocates nothing for it per step.
        session.schedule(forFlag("--schedule", () -> Schedules.create(schedule, model.decoder().files())))
                .tracing(traceOut != null);
    }

    /** Runs {@code body}, naming {@code flag} as the source of a bad schedule spec. */
    static <T> T forFlag(String flag, Supplier<T> body) {
        try {
            return body.get();
        } catch (InvalidInputException e) {
            if (!ScheduleSpec.SOURCE.equals(e.source())) {
                throw e;
            }
            throw new InvalidInputException(flag, e.getMessage().substring(e.source().length() + 2), e);
        }
    }

    /** Adds the registered schedule methods, with their keys, to the help of every command taking schedules. */
    static void addMethodsToHelp(CommandLine cli) {
        for (CommandLine command : cli.getSubcommands().values()) {
            CommandLine.Model.CommandSpec spec = command.getCommandSpec();
            if (spec.findOption("--schedule") == null && spec.findOption("--schedules") == null) {
                continue;
            }
            command.getHelpSectionMap().put("scheduleMethods", help -> help.createHeading(
                    "%nSchedule methods (SPEC is a method or method:key=value;...; L = decoder layers):%n")
                    + ScheduleMethods.help().indent(2));
            List<String> keys = new ArrayList<>(command.getHelpSectionKeys());
            keys.add(keys.indexOf(CommandLine.Model.UsageMessageSpec.SECTION_KEY_FOOTER_HEADING), "scheduleMethods");
            command.setHelpSectionKeys(keys);
        }
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
