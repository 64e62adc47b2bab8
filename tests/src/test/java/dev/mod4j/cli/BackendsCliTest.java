package dev.mod4j.cli;

import dev.mod4j.runtime.backend.BackendProvider;
import dev.mod4j.runtime.backend.Backends;
import dev.mod4j.runtime.cpu.CpuBackendProvider;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static dev.mod4j.loaders.MessageAssertions.assertMentions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Backends come from ServiceLoader: the CLI lists and selects what the providers report, by name. */
class BackendsCliTest {
    @Test
    void theCpuBackendIsRegisteredAsAService() {
        BackendProvider cpu = Backends.provider("cpu");
        assertInstanceOf(CpuBackendProvider.class, cpu);
        assertEquals(null, cpu.unavailableReason());
        assertEquals(1, cpu.devices().size());
    }

    @Test
    void devicesListsEveryProviderWithItsDevices() {
        CliRun run = CliRun.of("devices");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().lines().anyMatch(l -> l.startsWith("cpu: ") && l.contains(" threads, ")), run.out());
    }

    @Test
    void anUnknownBackendOrADeviceTheBackendLacksIsAOneLineErrorNamingTheFlag() throws Exception {
        Path model = CliTest.golden("llama-gqa-f32");
        CliRun unknown = CliRun.of("generate", "--model", model.toString(), "--input-ids", "1,2,3",
                "--max-new-tokens", "1", "--backend", "nosuch");
        assertEquals(2, unknown.exitCode());
        assertEquals(1, unknown.err().strip().lines().count(), unknown.err());
        assertMentions(unknown.err(), "--backend", "unknown backend 'nosuch'", "cpu");

        CliRun device = CliRun.of("generate", "--model", model.toString(), "--input-ids", "1,2,3",
                "--max-new-tokens", "1", "--backend", "cpu", "--device", "0:0");
        assertEquals(2, device.exitCode());
        assertMentions(device.err(), "--device", "no devices");
    }
}
