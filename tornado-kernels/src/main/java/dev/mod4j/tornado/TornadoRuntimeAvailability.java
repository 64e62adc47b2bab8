package dev.mod4j.tornado;

import uk.ac.manchester.tornado.api.runtime.TornadoRuntimeProvider;

/**
 * Whether this JVM runs with TornadoVM. The tornado-api jar alone (a Maven dependency) is not enough: the runtime, its
 * JIT (Graal via JVMCI) and a device driver come with a TornadoVM installation and its JVM flags
 * ({@code java @$TORNADOVM_HOME/tornado-argfile ...}).
 */
public final class TornadoRuntimeAvailability {
    /** What to tell a user who asked for TornadoVM where it is not installed. */
    public static final String HOW_TO_INSTALL = "TornadoVM not available: build it from source and run with"
            + " -Ptornadovm (see tornado-kernels/README.md): install a TornadoVM SDK (or build TornadoVM 5.2.0-jdk25),"
            + " `source setvars.sh` so TORNADOVM_HOME is set, and start the JVM with @$TORNADOVM_HOME/tornado-argfile";

    private static volatile String reason;
    private static volatile boolean checked;

    static {
        // Never a silent fallback: a kernel TornadoVM cannot compile must fail, not run as plain Java on the host.
        // Set before TornadoVM reads its options; -Dtornado.recover.bailout=True on the command line still wins.
        if (System.getProperty("tornado.recover.bailout") == null) {
            System.setProperty("tornado.recover.bailout", "False");
        }
    }

    private TornadoRuntimeAvailability() {
    }

    /** Null when TornadoVM is usable here, else why not (with how to install it). */
    public static String unavailableReason() {
        if (!checked) {
            synchronized (TornadoRuntimeAvailability.class) {
                if (!checked) {
                    reason = probe();
                    checked = true;
                }
            }
        }
        return reason;
    }

    public static boolean isAvailable() {
        return unavailableReason() == null;
    }

    /** Throws {@link TornadoUnavailableException} unless TornadoVM is usable. */
    public static void require() {
        String why = unavailableReason();
        if (why != null) {
            throw new TornadoUnavailableException(why);
        }
    }

    private static String probe() {
        if (System.getProperty("tornado.load.runtime.implementation") == null) {
            return HOW_TO_INSTALL + " (this JVM was started without TornadoVM's flags)";
        }
        try {
            var runtime = TornadoRuntimeProvider.getTornadoRuntime();
            if (runtime.getNumBackends() == 0 || runtime.getBackend(0).getNumDevices() == 0) {
                return "TornadoVM is installed but found no device (check the OpenCL/CUDA/Level Zero driver, e.g."
                        + " `tornado --devices`)";
            }
            return null;
        } catch (Throwable e) {
            return HOW_TO_INSTALL + " (loading the TornadoVM runtime failed: " + e + ")";
        }
    }

    /** TornadoVM was asked for where it is not installed or has no device. */
    public static final class TornadoUnavailableException extends RuntimeException {
        public TornadoUnavailableException(String message) {
            super(message);
        }
    }
}
