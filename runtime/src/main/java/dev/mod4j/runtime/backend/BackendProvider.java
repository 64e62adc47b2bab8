package dev.mod4j.runtime.backend;

import java.util.List;
import java.util.function.Function;

/**
 * A kind of backend, found at run time with {@link java.util.ServiceLoader} (see {@link Backends}): the CPU backend
 * registers itself in the runtime, the TornadoVM one in tornado-kernels, through {@code META-INF/services}.
 */
public interface BackendProvider {
    /** The name that selects it, e.g. "cpu", "tornadovm". */
    String name();

    /** Why it cannot run in this process (e.g. a runtime it needs is missing), or null when it can. */
    String unavailableReason();

    /** The devices it can see now; ask only when {@link #unavailableReason()} is null. */
    List<BackendDevice> devices();

    /**
     * A factory of backends on device {@code device} (one of {@link #devices()}'s ids; null: the default device),
     * checked here, before any model is loaded.
     */
    Function<ModelParts, Backend> factory(String device);
}
