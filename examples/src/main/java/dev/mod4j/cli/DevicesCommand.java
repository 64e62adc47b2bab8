package dev.mod4j.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.util.concurrent.Callable;

/** {@code mod4j devices}: the TornadoVM devices mod4j can run on, as B:D for {@code --device}. */
@Command(name = "devices", mixinStandardHelpOptions = true, description = "List TornadoVM devices (for --device B:D).")
final class DevicesCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    Mod4j.CommonOptions common;

    @Override
    public Integer call() {
        Backends.devices().forEach(d -> spec.commandLine().getOut().println(d));
        return 0;
    }
}
