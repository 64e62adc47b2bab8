package dev.mod4j.loaders;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static dev.mod4j.loaders.MessageAssertions.assertMentions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Small text files are read whole only after their kind and size are checked. */
class SmallFilesTest {
    @TempDir
    Path tmp;

    @Test
    void aSmallFileIsReadAsUtf8() throws Exception {
        Path file = Files.writeString(tmp.resolve("main"), "0123abcd\n");
        assertEquals("0123abcd\n", SmallFiles.readText(file, 1024));
    }

    @Test
    void aFileOverTheLimitIsRefusedBeforeReading() throws Exception {
        Path file = Files.write(tmp.resolve("big.json"), new byte[2048]);
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> SmallFiles.readText(file, 1024));
        assertEquals(file.toString(), e.source());
        assertMentions(e.getMessage(), "2048 bytes", "1024-byte limit");
    }

    @Test
    @Timeout(10)
    void aFifoIsRefusedWithoutBlocking() throws Exception {
        Path fifo = tmp.resolve("config.json");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assertEquals(0, mkfifo.waitFor());
        assertMentions(assertThrows(InvalidInputException.class, () -> SmallFiles.readText(fifo)).getMessage(),
                "is a FIFO (named pipe), not a regular file");
    }

    @Test
    void devicesAndDirectoriesAreRefusedByKind() {
        assertMentions(assertThrows(InvalidInputException.class,
                () -> SmallFiles.readBytes(Path.of("/dev/zero"), FileLimit.PIXEL_VALUES)).getMessage(),
                "/dev/zero", "is a character device");
        assertMentions(assertThrows(InvalidInputException.class,
                () -> SmallFiles.readText(tmp, FileLimit.CONFIG)).getMessage(), "is a directory");
    }

    @Test
    void aSparseHugeFileIsRefusedByItsSizeWithoutReading() throws Exception {
        Path file = tmp.resolve("pixels.npy");
        try (java.io.RandomAccessFile sparse = new java.io.RandomAccessFile(file.toFile(), "rw")) {
            sparse.setLength(3L << 30);
        }
        assertMentions(assertThrows(InvalidInputException.class,
                () -> SmallFiles.readBytes(file, FileLimit.PIXEL_VALUES)).getMessage(),
                (3L << 30) + " bytes", (1L << 30) + "-byte limit");
    }

    @Test
    void missingAndMalformedFilesAreOneLineErrors() throws Exception {
        assertMentions(assertThrows(InvalidInputException.class,
                () -> SmallFiles.readText(tmp.resolve("absent"))).getMessage(), "file not found");
        Path latin1 = Files.write(tmp.resolve("latin1.json"), new byte[]{'{', (byte) 0xE9, '}'});
        assertMentions(assertThrows(InvalidInputException.class, () -> SmallFiles.readText(latin1)).getMessage(),
                "not UTF-8");
    }
}
