package dev.mod4j.runtime.cpu;

import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.runtime.backend.Backend;
import dev.mod4j.runtime.backend.BackendDevice;
import dev.mod4j.runtime.backend.BackendProvider;
import dev.mod4j.runtime.backend.ModelParts;
import jdk.incubator.vector.FloatVector;

import java.util.List;
import java.util.function.Function;

/** The CPU backend as a {@link BackendProvider} ("cpu"): always available, one device (this machine's cores). */
public final class CpuBackendProvider implements BackendProvider {
    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public String unavailableReason() {
        return null;
    }

    @Override
    public List<BackendDevice> devices() {
        return List.of(new BackendDevice(null, Parallel.common().threads() + " threads, "
                + FloatVector.SPECIES_PREFERRED.vectorBitSize() + "-bit vectors, "
                + Runtime.getRuntime().maxMemory() / (1L << 20) + " MiB heap"));
    }

    @Override
    public Function<ModelParts, Backend> factory(String device) {
        if (device != null) {
            throw new InvalidInputException("device", "the cpu backend has no devices to choose from (got '" + device
                    + "')");
        }
        return CpuBackend::of;
    }
}
