package dev.mod4j.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.mod4j.cli.Mod4j;
import dev.mod4j.loaders.fuzz.FuzzContract;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;

/**
 * Fuzzes the command line's option parsing: the input's lines are the arguments. Parsing (with mod4j's converters and
 * handlers, nothing run) either succeeds or fails with picocli's ParameterException, which mod4j's handler turns into
 * exit status 2 and exactly one line on stderr. Any other exception, a hang or a large allocation is a finding.
 * Seeds: CliOptionsFuzzTestsInputs/parseOptions (each subcommand's options, bad numbers, misspellings, @files).
 */
class CliOptionsFuzzTests {
    // Built once: picocli resets options on every parse, and building it (reflection over every subcommand, class
    // loading under Jazzer's instrumentation) would otherwise count against the first input's allocation budget.
    private static final StringWriter ERR = new StringWriter();
    private static final CommandLine CLI = Mod4j.commandLine(new PrintWriter(new StringWriter()),
            new PrintWriter(ERR, true));

    @FuzzTest(maxDuration = "2m")
    void parseOptions(byte[] bytes) throws Exception {
        String[] args = new String(bytes, StandardCharsets.UTF_8).split("\n", -1);
        ERR.getBuffer().setLength(0);
        FuzzContract.check("options", () -> {
            try {
                CLI.parseArgs(args);
            } catch (CommandLine.ParameterException e) {
                int status = CLI.getParameterExceptionHandler().handleParseException(e, args);
                String printed = ERR.toString();
                if (status != Mod4j.EXIT_BAD_INPUT || printed.isEmpty() || printed.strip().contains("\n")) {
                    throw new AssertionError("status " + status + ", stderr not one line: " + printed);
                }
            }
        });
    }
}
