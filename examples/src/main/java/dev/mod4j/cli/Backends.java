package dev.mod4j.cli;

import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.runtime.backend.Backend;
import dev.mod4j.runtime.cpu.CpuBackend;
import dev.mod4j.runtime.model.LlamaModel;

import java.lang.reflect.InvocationTargetException;
import java.util.List;
import java.util.function.Function;

/**
 * The backends the CLI can run on. The TornadoVM one lives in the optional module tornado-kernels (built with
 * {@code -Ptornadovm}), so it is looked up by name: the CLI builds and runs without it.
 */
final class Backends {
    static final String TORNADO_BACKEND = "dev.mod4j.tornado.TornadoBackend";
    static final String TORNADO_DEVICES = "dev.mod4j.tornado.Devices";
    static final String HOW_TO_INSTALL = "TornadoVM is not available to this mod4j: build TornadoVM from source (see"
            + " tornado-kernels/README.md), set TORNADOVM_HOME, and build mod4j with ./mvnw -Ptornadovm package";

    private Backends() {
    }

    @SuppressWarnings("unchecked")
    static Function<LlamaModel.Parts, Backend> factory(String backend, String device) {
        return switch (backend) {
            case "cpu" -> {
                if (device != null) {
                    throw new InvalidInputException("--device", "only the tornadovm backend has devices");
                }
                yield CpuBackend::of;
            }
            case "tornadovm" -> (Function<LlamaModel.Parts, Backend>) invoke(TORNADO_BACKEND, "on", device);
            default -> throw new InvalidInputException("--backend", "unknown backend '" + backend + "' (cpu, tornadovm)");
        };
    }

    static List<?> devices() {
        return (List<?>) invoke(TORNADO_DEVICES, "list", null);
    }

    private static Object invoke(String className, String method, String argument) {
        try {
            Class<?> type = Class.forName(className);
            return argument == null && method.equals("list") ? type.getMethod(method).invoke(null)
                    : type.getMethod(method, String.class).invoke(null, argument);
        } catch (ClassNotFoundException | NoClassDefFoundError | NoSuchMethodException | IllegalAccessException e) {
            throw new InvalidInputException("--backend tornadovm", HOW_TO_INSTALL);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        }
    }
}
