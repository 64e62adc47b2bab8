package dev.mod4j.tornado;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.fail;

/** Shared test plumbing: skip without TornadoVM, find the golden models, compare logits (with FloatAssertions). */
final class TornadoTestSupport {
    /** Logits of the two backends agree within this (absolute). */
    static final float LOGIT_TOLERANCE = 1e-3f;

    private TornadoTestSupport() {
    }

    /**
     * Skips the calling test unless this JVM runs with TornadoVM. When the build was told TornadoVM is there
     * ({@code TORNADOVM_HOME} set, which sets {@code mod4j.tornado.required}) but it does not load, fails instead.
     */
    static void assumeTornadoVm() {
        String why = TornadoRuntimeAvailability.unavailableReason();
        if (why != null && Boolean.getBoolean("mod4j.tornado.required")) {
            fail("TORNADOVM_HOME is set, but " + why);
        }
        if (why != null) {
            System.out.println("[tornadovm] skipped: " + why);
        }
        Assumptions.assumeTrue(why == null, why);
        if (!"False".equalsIgnoreCase(System.getProperty("tornado.recover.bailout"))) {
            fail("tests must run with -Dtornado.recover.bailout=False so that a kernel TornadoVM cannot compile fails"
                    + " instead of running as plain Java");
        }
    }

    static Path golden(String relative) {
        String dir = System.getProperty("mod4j.golden.dir", "../tests/src/test/resources/golden");
        return Path.of(dir).resolve(relative);
    }

    static float maxAbsDiff(float[] a, float[] b) {
        float worst = 0;
        for (int i = 0; i < a.length; i++) {
            worst = Math.max(worst, Math.abs(a[i] - b[i]));
        }
        return worst;
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}
