package dev.mod4j.loaders.pytorch;

import dev.mod4j.loaders.safetensors.Checkpoint;
import dev.mod4j.loaders.safetensors.CheckpointFormatException;
import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.loaders.safetensors.LoadMode;
import dev.mod4j.loaders.safetensors.SafetensorsFile;
import dev.mod4j.loaders.safetensors.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static dev.mod4j.loaders.MessageAssertions.assertMentions;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** PyTorch zip checkpoints written by torch.save (src/test/resources/pytorch/generate_pytorch_golden.py). */
class PyTorchFileTest {
    @TempDir
    Path tmp;

    static Path resource(String name) {
        try {
            return Path.of(PyTorchFileTest.class.getResource("/pytorch/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Same names, dtypes, shapes and bytes as the contiguous copies torch wrote into the expected safetensors. */
    static void assertSameTensors(SafetensorsFile expected, java.util.function.Function<String, Tensor> actual) {
        for (String name : expected.tensorNames()) {
            Tensor e = expected.tensor(name);
            Tensor a = actual.apply(name);
            assertEquals(e.dtype(), a.dtype(), name);
            assertArrayEquals(e.shape(), a.shape(), name);
            assertEquals(e.data().byteSize(), a.data().byteSize(), name);
            assertEquals(-1, e.data().mismatch(a.data()), name + ": bytes differ");
        }
    }

    @ParameterizedTest
    @CsvSource({"f32.pt,MMAP", "f16.pt,MMAP", "bf16.pt,MMAP", "module.pt,MMAP", "f32.pt,COPY", "bf16.pt,COPY"})
    void everyTensorEqualsWhatTorchSavedByteForByte(String file, LoadMode mode) {
        try (PyTorchFile pt = PyTorchFile.open(resource(file), mode);
             SafetensorsFile expected = SafetensorsFile.open(resource(file + ".expected.safetensors"))) {
            assertEquals(expected.tensorNames(), pt.tensorNames());
            assertSameTensors(expected, pt::tensor);
            assertEquals("pytorch zip", pt.format());
        }
    }

    @Test
    void tensorsSharingAStorageAreViewsOfOneMapping() {
        try (PyTorchFile pt = PyTorchFile.open(resource("f16.pt"))) {
            long first = pt.tensor("first").data().address();
            assertEquals(first + 6 * 2, pt.tensor("second").data().address(), "offset 6 in the same storage");
            assertEquals(first + 18 * 2, pt.tensor("tail").data().address());
            long matrix = pt.tensor("matrix").data().address();
            assertEquals(matrix + 5 * 2, pt.tensor("row").data().address(), "a contiguous row is not copied");
            assertEquals(DType.F16, pt.info("transposed").dtype());
            assertArrayEquals(new long[]{5, 3}, pt.tensor("transposed").shape());
            assertEquals(0, pt.tensor("empty").elementCount());
            assertArrayEquals(new long[0], pt.tensor("scalar").shape());
            assertEquals(2.5f, pt.tensor("scalar").getFloat(0));
        }
    }

    @Test
    void aModuleStateDictWithMetadataParametersAndAnIntegerBuffer() {
        try (PyTorchFile pt = PyTorchFile.open(resource("module.pt"))) {
            assertEquals(Set.of("0.weight", "0.bias", "1.weight", "1.bias", "position_ids", "param"), pt.tensorNames());
            Tensor ids = pt.tensor("position_ids");
            assertEquals(DType.I64, ids.dtype());
            assertEquals(4, ids.getLong(4));
        }
    }

    @Test
    void aShardedDirectoryWithAnIndexAndAProjectorFile() {
        Path dir = resource("sharded");
        try (Checkpoint checkpoint = Checkpoint.open(dir);
             SafetensorsFile expected = SafetensorsFile.open(resource("sharded.expected.safetensors"))) {
            assertEquals(Set.of("a", "b", "c", "projector", "projector_extra"), checkpoint.tensorNames());
            // The shards' projector wins over mm_projector.bin's (zeros there); training_args.bin is never opened.
            assertSameTensors(expected, checkpoint::tensor);
            assertEquals(List.of("pytorch_model-00001-of-00002.bin", "pytorch_model-00002-of-00002.bin",
                    "mm_projector.bin"), checkpoint.files().stream().map(f -> f.path().getFileName().toString()).toList());
        }
    }

    @Test
    void shardsWithoutAnIndexAndASingleFile() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("no-index"));
        for (String shard : List.of("pytorch_model-00001-of-00002.bin", "pytorch_model-00002-of-00002.bin",
                "training_args.bin")) {
            Files.copy(resource("sharded/" + shard), dir.resolve(shard));
        }
        try (Checkpoint checkpoint = Checkpoint.open(dir, LoadMode.COPY)) {
            assertEquals(Set.of("a", "b", "c", "projector"), checkpoint.tensorNames());
        }
        try (Checkpoint single = Checkpoint.open(resource("sharded/mm_projector.bin"))) {
            assertEquals(Set.of("projector", "projector_extra"), single.tensorNames());
        }
    }

    static String failure(Path file) {
        String message = assertThrows(CheckpointFormatException.class, () -> PyTorchFile.open(file).close()).getMessage();
        assertEquals(1, message.lines().count(), message);
        assertMentions(message, file.toString());
        return message;
    }

    @Test
    void malformedCheckpointsGiveOneLineErrors() {
        assertMentions(failure(resource("malformed/foreign_global.pt")), "refusing global", "system");
        assertMentions(failure(resource("malformed/legacy.pt")), "legacy format", "before PyTorch 1.6", "torch.save");
        assertMentions(failure(resource("malformed/truncated.pt")), "zip");
        assertMentions(failure(resource("malformed/deflated.pt")), "deflated", "save it again with torch.save");
        assertMentions(failure(resource("malformed/out_of_bounds.pt")), "size [4, 4]", "reaches element 15", "holds 8");
        assertMentions(failure(resource("malformed/offset_out_of_bounds.pt")), "storage offset 6", "holds 8");
        assertMentions(failure(resource("malformed/lying_size.pt")), "declares 1000 F32 elements", "holds 32 bytes");
        assertMentions(failure(resource("malformed/missing_storage.pt")), "storage '7'", "no entry archive/data/7");
    }

    @Test
    void truncatedAndForeignBytes() throws Exception {
        byte[] valid = Files.readAllBytes(resource("f32.pt"));
        for (int length : new int[]{0, 3, 30, valid.length / 2, valid.length - 1}) {
            Path cut = Files.write(tmp.resolve("cut" + length + ".pt"), java.util.Arrays.copyOf(valid, length));
            failure(cut);
        }
        assertMentions(failure(Files.writeString(tmp.resolve("text.bin"), "hello world")), "not a PyTorch checkpoint");
    }

    @Test
    void aDirectoryOfLegacyPicklesSaysHowToConvert() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("legacy"));
        Files.copy(resource("malformed/legacy.pt"), dir.resolve("pytorch_model.bin"));
        String message = assertThrows(CheckpointFormatException.class, () -> Checkpoint.open(dir)).getMessage();
        assertMentions(message, "pytorch_model.bin", "legacy format", "safetensors");
        assertFalse(message.contains("\n"));
    }
}
