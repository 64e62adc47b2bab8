package dev.mod4j.loaders.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.mod4j.loaders.pytorch.PyTorchFile;
import dev.mod4j.loaders.safetensors.Tensor;

import java.nio.file.Path;

/**
 * Fuzzes the PyTorch zip checkpoint reader: zip directory, the restricted unpickler of data.pkl, storage bounds.
 * Seeds: PyTorchFuzzTestsInputs/ (written by src/test/resources/pytorch/generate_pytorch_golden.py).
 */
class PyTorchFuzzTests {
    private static final Path DIR = FuzzContract.scratch("pytorch");

    @FuzzTest(maxDuration = "2m")
    void openPyTorch(byte[] bytes) throws Exception {
        Path file = FuzzContract.write(DIR.resolve("fuzz.bin"), bytes);
        FuzzContract.check("pytorch checkpoint", () -> {
            try (PyTorchFile pt = PyTorchFile.open(file)) {
                int read = 0;
                for (String name : pt.tensorNames()) {
                    readSome(pt.tensor(name));
                    if (++read == 4) {
                        break;
                    }
                }
            }
        });
    }

    private static void readSome(Tensor tensor) {
        long n = Math.min(tensor.elementCount(), 16);
        for (long i = 0; i < n; i++) {
            if (tensor.dtype().isFloatingPoint()) {
                tensor.getFloat(i);
            } else {
                tensor.getLong(i);
            }
        }
        if (tensor.elementCount() <= 4096 && tensor.dtype().isFloatingPoint()) {
            tensor.toFloatArray();
        }
    }
}
