package dev.mod4j.robustness;

import dev.mod4j.eval.AnswerFile;
import dev.mod4j.eval.EvalQuestion;
import dev.mod4j.loaders.FileLimit;
import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.config.ModelConfig;
import dev.mod4j.loaders.image.ImageDecoder;
import dev.mod4j.loaders.image.PreprocessorConfig;
import dev.mod4j.loaders.npy.NpyArray;
import dev.mod4j.loaders.safetensors.Checkpoint;
import dev.mod4j.loaders.safetensors.SafetensorsFile;
import dev.mod4j.loaders.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.function.Executable;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

import static dev.mod4j.loaders.MessageAssertions.assertMentions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Every read path of a user-given file refuses, before reading, a file over its kind's {@link FileLimit} (a sparse
 * file: no disk is used, yet a naive reader would allocate its whole size) and a file that is not a regular file (a
 * FIFO would block the open forever; the message says it is a FIFO). Each reader is given its file's usual name.
 */
@Timeout(60)
class InputFileLimitsTest {
    @TempDir
    Path tmp;

    /** Reader of a file named as the reader expects it (in its own directory), and that kind's limit. */
    private record ReadPath(String fileName, FileLimit limit, Function<Path, Executable> read) {
    }

    private static Map<String, ReadPath> readPaths() {
        Map<String, ReadPath> paths = new LinkedHashMap<>();
        paths.put("config.json", new ReadPath("config.json", FileLimit.CONFIG,
                f -> () -> ModelConfig.load(f.getParent())));
        paths.put("preprocessor_config.json", new ReadPath("preprocessor_config.json", FileLimit.CONFIG,
                f -> () -> PreprocessorConfig.read(f)));
        paths.put("model.safetensors.index.json", new ReadPath("model.safetensors.index.json",
                FileLimit.CHECKPOINT_INDEX, f -> () -> Checkpoint.open(f.getParent())));
        paths.put("tokenizer.json", new ReadPath("tokenizer.json", FileLimit.TOKENIZER,
                f -> () -> Tokenizer.load(f.getParent())));
        paths.put("tokenizer.model", new ReadPath("tokenizer.model", FileLimit.TOKENIZER,
                f -> () -> Tokenizer.load(f.getParent())));
        paths.put("--pixel-values .npy", new ReadPath("pixels.npy", FileLimit.PIXEL_VALUES,
                f -> () -> NpyArray.read(f)));
        paths.put("image", new ReadPath("photo.png", FileLimit.IMAGE, f -> () -> ImageDecoder.decode(f)));
        paths.put("eval questions", new ReadPath("questions.jsonl", FileLimit.JSON_LINES,
                f -> () -> EvalQuestion.read(f)));
        paths.put("existing answers", new ReadPath("answers.jsonl", FileLimit.JSON_LINES,
                f -> () -> AnswerFile.read(f)));
        return paths;
    }

    private Path place(String name, ReadPath path) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve(name.replaceAll("[^a-z.]", "_")));
        return dir.resolve(path.fileName());
    }

    @Test
    void aFileOverItsKindsLimitIsRefusedByItsSize() throws Exception {
        for (Map.Entry<String, ReadPath> e : readPaths().entrySet()) {
            Path file = place(e.getKey(), e.getValue());
            long size = e.getValue().limit().maxBytes() + 1;
            try (RandomAccessFile sparse = new RandomAccessFile(file.toFile(), "rw")) {
                sparse.setLength(size);
            }
            InvalidInputException thrown = assertThrows(InvalidInputException.class,
                    e.getValue().read().apply(file), e.getKey());
            assertMentions(thrown.getMessage(), file.toString(), size + " bytes", "limit");
            assertEquals(1, thrown.getMessage().lines().count(), thrown.getMessage());
            Files.delete(file);
        }
    }

    @Test
    void aFifoIsRefusedAsAFifoWithoutBlocking() throws Exception {
        for (Map.Entry<String, ReadPath> e : readPaths().entrySet()) {
            Path fifo = place(e.getKey(), e.getValue());
            assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
            InvalidInputException thrown = assertThrows(InvalidInputException.class,
                    e.getValue().read().apply(fifo), e.getKey());
            assertMentions(thrown.getMessage(), fifo.toString(), "FIFO");
            Files.delete(fifo);
        }
    }

    @Test
    void aDeviceIsRefusedByKind() {
        Path zero = Path.of("/dev/zero");
        assertMentions(assertThrows(InvalidInputException.class, () -> NpyArray.read(zero)).getMessage(),
                "/dev/zero", "character device");
        assertMentions(assertThrows(InvalidInputException.class, () -> ImageDecoder.decode(zero)).getMessage(),
                "/dev/zero", "character device");
        assertMentions(assertThrows(InvalidInputException.class, () -> SafetensorsFile.open(zero)).getMessage(),
                "/dev/zero", "character device");
        assertMentions(assertThrows(InvalidInputException.class, () -> EvalQuestion.read(zero)).getMessage(),
                "/dev/zero", "character device");
    }

    @Test
    void aDirectoryIsRefusedAsADirectory() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("answers.jsonl"));
        assertMentions(assertThrows(InvalidInputException.class, () -> AnswerFile.open(dir)).getMessage(),
                "answers.jsonl", "is a directory");
        assertMentions(assertThrows(InvalidInputException.class, () -> EvalQuestion.read(dir)).getMessage(),
                "is a directory");
        Path model = Files.createDirectories(tmp.resolve("model/config.json")).getParent();
        assertMentions(assertThrows(InvalidInputException.class, () -> ModelConfig.load(model)).getMessage(),
                "config.json", "is a directory");
    }
}
