package dev.mod4j.loaders.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.mod4j.loaders.npy.NpyArray;

import java.nio.file.Path;

/** Fuzzes .npy reading. Seeds: NpyFuzzTestsInputs/readNpy (f16/f32/f64, big-endian, Fortran order, v2, empty). */
class NpyFuzzTests {
    private static final Path DIR = FuzzContract.scratch("npy");

    @FuzzTest(maxDuration = "2m")
    void readNpy(byte[] bytes) throws Exception {
        Path file = FuzzContract.write(DIR.resolve("fuzz.npy"), bytes);
        FuzzContract.check("npy", () -> {
            NpyArray array = NpyArray.read(file);
            long n = 1;
            for (long d : array.shape()) {
                n *= d;
            }
            if (n != array.data().length) {
                throw new AssertionError("shape " + java.util.Arrays.toString(array.shape()) + " but "
                        + array.data().length + " values");
            }
        });
    }
}
