package dev.mod4j.runtime.backend;

import dev.mod4j.loaders.InvalidInputException;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.function.Function;

/** The backends on the class path, by name ({@link BackendProvider}s through {@link ServiceLoader}). */
public final class Backends {
    /** The backend a model runs on unless told otherwise. */
    public static final String DEFAULT = "cpu";

    private Backends() {
    }

    /** Every provider on the class path, in the order the class path lists them. */
    public static List<BackendProvider> providers() {
        List<BackendProvider> all = new ArrayList<>();
        ServiceLoader.load(BackendProvider.class, Backends.class.getClassLoader()).forEach(all::add);
        return all;
    }

    /** The provider named {@code name}; an error naming the ones there are otherwise. */
    public static BackendProvider provider(String name) {
        List<BackendProvider> all = providers();
        for (BackendProvider p : all) {
            if (p.name().equals(name)) {
                return p;
            }
        }
        String known = String.join(", ", all.stream().map(BackendProvider::name).toList());
        String hint = name.equals("tornadovm") ? "; the TornadoVM backend is in the module tornado-kernels, built"
                + " with the Maven profile tornadovm (see tornado-kernels/README.md)" : "";
        throw new InvalidInputException("backend", "unknown backend '" + name + "' (this mod4j has: " + known + ")"
                + hint);
    }

    /** A factory for backend {@code name} on {@code device} (null: its default), failing early if it cannot run. */
    public static Function<ModelParts, Backend> factory(String name, String device) {
        BackendProvider provider = provider(name);
        String reason = provider.unavailableReason();
        if (reason != null) {
            throw new InvalidInputException("backend", name + " cannot run here: " + reason);
        }
        return provider.factory(device);
    }

    /** The default backend ({@value #DEFAULT}) on its default device. */
    public static Function<ModelParts, Backend> defaultFactory() {
        return factory(DEFAULT, null);
    }
}
