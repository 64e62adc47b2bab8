package dev.mod4j.cli;

import dev.mod4j.eval.TerminalProgress;
import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.progress.ProgressListener;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;

/** The {@code mod4j} command line. Exit codes: 0 success, 2 bad input (one line on stderr), 1 internal error. */
@Command(name = "mod4j", mixinStandardHelpOptions = true, versionProvider = Mod4j.Version.class,
        description = "Multimodal LLM inference that skips or drops redundant vision tokens inside the decoder.",
        subcommands = {InspectCommand.class, GenerateCommand.class, ForwardCommand.class, CompareCommand.class,
                ArankCommand.class, ScheduleBenchCommand.class, VisionBenchCommand.class, GemmBenchCommand.class,
                DevicesCommand.class, ConvertCommand.class, ChatCommand.class,
                BenchCommand.class, DemoCommand.class, EvalCommand.class, ServeCommand.class,
                CommandLine.HelpCommand.class})
public final class Mod4j {
    public static final int EXIT_BAD_INPUT = 2;
    public static final int EXIT_INTERNAL_ERROR = 1;

    /** Options every subcommand accepts. */
    public static final class CommonOptions {
        @Option(names = "--debug", description = "Print stack traces of errors.")
        boolean debug;
    }

    public static void main(String[] args) {
        // Warnings (e.g. layers a config leaves unused) as one line each, not java.util.logging's two.
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", "mod4j: %4$s: %5$s%6$s%n");
        }
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the CLI with the given streams and returns the exit code (used by tests). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        // Long work (loading, the vision tower, arank, writing a model) draws progress on a terminal, never in a pipe.
        return ScopedValue.where(ProgressListener.CURRENT, TerminalProgress.forStandardError(err))
                .call(() -> commandLine(out, err).execute(args));
    }

    /** The command line with mod4j's error handling (one line, exit 2 for bad options and input), not yet run. */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new Mod4j());
        // No @FILE argument files: picocli would read "@/dev/zero" or a FIFO without end, before any check of ours.
        cli.setExpandAtFiles(false);
        cli.setOut(out);
        cli.setErr(err);
        ScheduleOptions.addMethodsToHelp(cli);
        // Bad options: one line (picocli would print the whole usage), with picocli's suggestion for a misspelling.
        cli.setParameterExceptionHandler((e, arguments) -> {
            CommandLine command = e.getCommandLine();
            if (!(e instanceof CommandLine.UnmatchedArgumentException) && !command.getUnmatchedArguments().isEmpty()) {
                // A misspelt option also leaves a required one "missing": name the misspelling, the real mistake.
                e = new CommandLine.UnmatchedArgumentException(command, command.getUnmatchedArguments());
            }
            String message = e.getMessage().strip().replaceAll("\\s*\\R\\s*", " ");
            if (e instanceof CommandLine.UnmatchedArgumentException unmatched && !unmatched.getSuggestions().isEmpty()) {
                message += " (did you mean " + String.join(" or ", unmatched.getSuggestions()) + "?)";
            }
            String name = command.getCommandSpec().qualifiedName();
            err.println(name + ": " + message + "; see " + name + " --help");
            return EXIT_BAD_INPUT;
        });
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            boolean debug = parseResult.hasMatchedOption("--debug")
                    || parseResult.subcommands().stream().anyMatch(p -> p.hasMatchedOption("--debug"));
            if (debug) {
                e.printStackTrace(err);
            }
            if (e instanceof InvalidInputException) {
                err.println(FlagNames.message((InvalidInputException) e));
                return EXIT_BAD_INPUT;
            }
            err.println("mod4j: internal error: " + e + (debug ? "" : " (run with --debug for the stack trace)"));
            return EXIT_INTERNAL_ERROR;
        });
        return cli;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Mod4j.class.getPackage().getImplementationVersion();
            return new String[]{"mod4j " + (v == null ? "development build" : v) + " on Java "
                    + Runtime.version()};
        }
    }
}
