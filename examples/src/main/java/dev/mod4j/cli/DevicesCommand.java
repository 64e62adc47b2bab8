package dev.mod4j.cli;

import dev.mod4j.runtime.backend.BackendDevice;
import dev.mod4j.runtime.backend.BackendProvider;
import dev.mod4j.runtime.backend.Backends;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code mod4j devices}: every backend on the class path and the devices it reports (ids for {@code --device}), or
 * why it cannot run here.
 */
@Command(name = "devices", mixinStandardHelpOptions = true,
        description = "List the backends mod4j can run on and their devices (ids for --backend NAME --device ID).")
final class DevicesCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    Mod4j.CommonOptions common;

    @Option(names = "--backend", paramLabel = "NAME", description = "Only this backend.")
    String backend;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        List<BackendProvider> providers = backend == null ? Backends.providers() : List.of(Backends.provider(backend));
        for (BackendProvider provider : providers) {
            String reason = provider.unavailableReason();
            if (reason != null) {
                out.println(provider.name() + ": not available (" + reason + ")");
                continue;
            }
            for (BackendDevice device : provider.devices()) {
                out.println(provider.name() + (device.id() == null ? "" : " " + device.id()) + ": "
                        + device.description());
            }
        }
        return 0;
    }
}
