package dev.mod4j.tornado;

import dev.mod4j.runtime.backend.Backend;
import dev.mod4j.runtime.backend.BackendDevice;
import dev.mod4j.runtime.backend.BackendProvider;
import dev.mod4j.runtime.backend.ModelParts;
import uk.ac.manchester.tornado.api.common.TornadoDevice;

import java.util.List;
import java.util.function.Function;

/**
 * The TornadoVM backend as a {@link BackendProvider} ("tornadovm"), registered in {@code META-INF/services}: found
 * whenever this jar is on the class path, and saying why it cannot run when TornadoVM itself is missing (the JVM was
 * started without TornadoVM's flags, or no device driver).
 */
public final class TornadoBackendProvider implements BackendProvider {
    @Override
    public String name() {
        return "tornadovm";
    }

    @Override
    public String unavailableReason() {
        return TornadoRuntimeAvailability.unavailableReason();
    }

    /** Every device of every TornadoVM backend, with its {@code B:D} id. */
    @Override
    public List<BackendDevice> devices() {
        return Devices.list().stream().map(d -> new BackendDevice(d.id(), d.backend() + " " + d.name() + " ("
                + (d.globalMemoryBytes() >> 20) + " MiB" + (d.halfFloat() ? ", fp16" : ", no fp16")
                + (d.isDefault() ? ", default" : "") + ")")).toList();
    }

    @Override
    public Function<ModelParts, Backend> factory(String device) {
        TornadoDevice selected = Devices.select(device);
        return parts -> new TornadoBackend(parts, selected, false);
    }
}
