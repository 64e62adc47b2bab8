package dev.mod4j.tornado;

import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.runtime.backend.BackendDevice;
import dev.mod4j.runtime.backend.BackendProvider;
import dev.mod4j.runtime.backend.Backends;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** tornado-kernels registers its backend through META-INF/services; the runtime finds it by name. */
class TornadoBackendProviderTest {

    @Test
    void theTornadoVmProviderIsFoundThroughTheServiceLoader() {
        BackendProvider provider = Backends.provider("tornadovm");
        assertInstanceOf(TornadoBackendProvider.class, provider);
        List<String> names = Backends.providers().stream().map(BackendProvider::name).toList();
        assertTrue(names.contains("cpu") && names.contains("tornadovm"), names.toString());
    }

    @Test
    void devicesListTheDefaultTornadoVmDevice() {
        TornadoTestSupport.assumeTornadoVm();
        BackendProvider provider = Backends.provider("tornadovm");
        assertNull(provider.unavailableReason());
        List<BackendDevice> devices = provider.devices();
        System.out.println("[tornadovm] provider devices: " + devices);
        String defaultName = Devices.select(null).getPhysicalDevice().getDeviceName();
        assertEquals(Devices.list().size(), devices.size());
        assertTrue(devices.stream().anyMatch(d -> d.id().equals("0:0")), devices.toString());
        assertTrue(devices.stream().anyMatch(d -> d.description().contains(defaultName)
                && d.description().contains("default")), devices + " should name " + defaultName);
    }

    @Test
    void anUnknownDeviceFailsBeforeAnyModelIsLoaded() {
        TornadoTestSupport.assumeTornadoVm();
        var e = assertThrows(InvalidInputException.class, () -> Backends.factory("tornadovm", "9:9"));
        assertTrue(e.getMessage().startsWith("device: '9:9' does not exist"), e.getMessage());
        e = assertThrows(InvalidInputException.class, () -> Backends.factory("tornadovm", "first"));
        assertTrue(e.getMessage().startsWith("device: 'first' is not BACKEND:DEVICE"), e.getMessage());
    }
}
