package dev.mod4j.loaders.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.mod4j.loaders.safetensors.Checkpoint;
import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.loaders.safetensors.SafetensorsFile;
import dev.mod4j.loaders.safetensors.SafetensorsWriter;
import dev.mod4j.loaders.safetensors.Tensor;

import java.nio.file.Path;

/** Fuzzes the safetensors header parser and the sharded-checkpoint index parser. Seeds: SafetensorsFuzzTestsInputs/. */
class SafetensorsFuzzTests {
    private static final Path DIR = FuzzContract.scratch("safetensors");
    private static final Path INDEXED = FuzzContract.scratch("index");

    static {
        // The shard that the seed indexes name: one tensor "w", F32 [2, 3].
        new SafetensorsWriter()
                .add(SafetensorsWriter.TensorData.ofFloats("w", DType.F32, new long[] {2, 3}, new float[] {0, 1, 2, 3, 4, 5}))
                .write(INDEXED.resolve("model-00001-of-00001.safetensors"));
    }

    @FuzzTest(maxDuration = "2m")
    void openSafetensors(byte[] bytes) throws Exception {
        Path file = FuzzContract.write(DIR.resolve("fuzz.safetensors"), bytes);
        FuzzContract.check("safetensors header", () -> {
            try (SafetensorsFile st = SafetensorsFile.open(file)) {
                int read = 0;
                for (String name : st.tensorNames()) {
                    readSome(st.tensor(name));
                    if (++read == 2) {
                        break;
                    }
                }
            }
        });
    }

    @FuzzTest(maxDuration = "2m")
    void openIndex(byte[] bytes) throws Exception {
        FuzzContract.write(INDEXED.resolve("model.safetensors.index.json"), bytes);
        FuzzContract.check("safetensors index", () -> {
            try (Checkpoint checkpoint = Checkpoint.open(INDEXED)) {
                for (String name : checkpoint.tensorNames()) {
                    readSome(checkpoint.tensor(name));
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
        if (tensor.elementCount() <= 4096) {
            tensor.toFloatArray();
        }
    }
}
