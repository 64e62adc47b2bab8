package dev.mod4j.tornado;

import dev.mod4j.loaders.InvalidInputException;
import uk.ac.manchester.tornado.api.TornadoBackend;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.TornadoVMBackendType;
import uk.ac.manchester.tornado.api.runtime.TornadoRuntimeProvider;

import java.util.ArrayList;
import java.util.List;

/** The TornadoVM devices of this machine, named {@code B:D} (backend index : device index) as TornadoVM names them. */
public final class Devices {
    private Devices() {
    }

    /** One TornadoVM device. */
    public record DeviceInfo(String id, String backend, String name, long globalMemoryBytes, boolean halfFloat,
                             boolean isDefault) {
        @Override
        public String toString() {
            return id + "  " + backend + "  " + name + "  (" + (globalMemoryBytes >> 20) + " MiB"
                    + (halfFloat ? ", fp16" : ", no fp16") + (isDefault ? ", default" : "") + ")";
        }
    }

    /** Every device of every backend TornadoVM was built with; {@code bin/mod4j devices} prints these. */
    public static List<DeviceInfo> list() {
        TornadoRuntimeAvailability.require();
        var runtime = TornadoRuntimeProvider.getTornadoRuntime();
        TornadoDevice defaultDevice = runtime.getDefaultDevice();
        List<DeviceInfo> out = new ArrayList<>();
        for (int b = 0; b < runtime.getNumBackends(); b++) {
            TornadoBackend backend = runtime.getBackend(b);
            for (int d = 0; d < backend.getNumDevices(); d++) {
                TornadoDevice device = backend.getDevice(d);
                out.add(new DeviceInfo(b + ":" + d, backendName(device), device.getPhysicalDevice().getDeviceName(),
                        device.getMaxGlobalMemory(), supportsHalfFloat(device),
                        device.getDeviceName().equals(defaultDevice.getDeviceName())
                                && device.getBackendIndex() == defaultDevice.getBackendIndex()));
            }
        }
        return out;
    }

    /**
     * The device {@code B:D} (for example {@code 0:0}), or TornadoVM's default device when {@code id} is null or
     * blank. An unknown id fails ({@link InvalidInputException}, source "device") with the list of devices there are.
     */
    public static TornadoDevice select(String id) {
        TornadoRuntimeAvailability.require();
        if (id == null || id.isBlank()) {
            return TornadoRuntimeProvider.getTornadoRuntime().getDefaultDevice();
        }
        String[] parts = id.trim().split(":");
        int backend;
        int device;
        try {
            if (parts.length != 2) {
                throw new NumberFormatException();
            }
            backend = Integer.parseInt(parts[0]);
            device = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            throw new InvalidInputException("device", "'" + id + "' is not BACKEND:DEVICE, e.g. 0:0");
        }
        var runtime = TornadoRuntimeProvider.getTornadoRuntime();
        if (backend < 0 || backend >= runtime.getNumBackends()
                || device < 0 || device >= runtime.getBackend(backend).getNumDevices()) {
            throw new InvalidInputException("device", "'" + id + "' does not exist; TornadoVM devices here: " + list());
        }
        return TornadoExecutionPlan.getDevice(backend, device);
    }

    /** Prints the devices, one per line: {@code java @$TORNADOVM_HOME/tornado-argfile -cp ... dev.mod4j.tornado.Devices}. */
    public static void main(String[] args) {
        list().forEach(System.out::println);
    }

    /** "OpenCL", "PTX", "SPIR-V", ... */
    static String backendName(TornadoDevice device) {
        TornadoVMBackendType type = device.getTornadoVMBackend();
        return switch (type.name()) {
            case "OPENCL" -> "OpenCL";
            case "PTX" -> "PTX";
            case "SPIRV" -> "SPIR-V";
            default -> type.name();
        };
    }

    /**
     * Whether the device computes in fp16: NVIDIA devices (PTX, CUDA) always do; an OpenCL device does when it
     * reports {@code cl_khr_fp16}; otherwise we assume not (PoCL on a CPU, for one, does not).
     */
    static boolean supportsHalfFloat(TornadoDevice device) {
        String type = device.getTornadoVMBackend().name();
        if (type.equals("PTX") || type.equals("CUDA")) {
            return true;
        }
        Object info = device.getDeviceInfo();
        return info != null && info.toString().contains("cl_khr_fp16");
    }
}
