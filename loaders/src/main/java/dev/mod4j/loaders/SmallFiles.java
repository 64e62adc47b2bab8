package dev.mod4j.loaders;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * The one way mod4j reads a user-given file whole (configs, tokenizer files, .npy arrays, images, JSON-lines files):
 * bounded by its {@link FileLimit}. Before the file is opened, its kind is checked (only regular files: a FIFO or a
 * device would block or never end, and the message says which it is) and its size (a sparse huge file or
 * {@code /dev/zero} is refused up front); reading stops at the limit even if the file grows meanwhile.
 */
public final class SmallFiles {
    /** The most a config-like file may hold; real ones are kilobytes (a tokenizer_config.json with templates). */
    public static final long MAX_TEXT_BYTES = FileLimit.TOKENIZER.maxBytes();

    private SmallFiles() {
    }

    /**
     * Checks that {@code file} is a regular file of at most {@code maxBytes} and returns its size; a one-line
     * {@link InvalidInputException} naming the file otherwise. For readers that stream the file themselves.
     */
    public static long checkReadable(Path file, long maxBytes) {
        String source = file.toString();
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            throw new InvalidInputException(source, "file not found");
        } catch (IOException e) {
            throw new InvalidInputException(source, "cannot read: " + e.getMessage());
        }
        if (!attributes.isRegularFile()) {
            throw new InvalidInputException(source, "is " + kind(file, attributes) + ", not a regular file");
        }
        long size = attributes.size();
        if (size > maxBytes) {
            throw new InvalidInputException(source, "file is " + size + " bytes, over the " + maxBytes
                    + "-byte limit");
        }
        return size;
    }

    /** As {@link #checkReadable(Path, long)} with the limit of {@code limit}'s kind. */
    public static long checkReadable(Path file, FileLimit limit) {
        return checkReadable(file, limit.maxBytes());
    }

    /** The whole of {@code file}, at most {@code maxBytes}; a one-line {@link InvalidInputException} otherwise. */
    public static byte[] readBytes(Path file, long maxBytes) {
        checkReadable(file, maxBytes);
        String source = file.toString();
        int cap = (int) Math.min(maxBytes, Integer.MAX_VALUE - 16);
        try (InputStream in = Files.newInputStream(file)) {
            byte[] bytes = in.readNBytes(cap);
            if (bytes.length == cap && in.read() >= 0) {
                throw new InvalidInputException(source, "file grew over the " + maxBytes + "-byte limit while being"
                        + " read");
            }
            return bytes;
        } catch (NoSuchFileException e) {
            throw new InvalidInputException(source, "file not found");
        } catch (IOException e) {
            throw new InvalidInputException(source, "cannot read: " + e.getMessage());
        }
    }

    /** As {@link #readBytes(Path, long)} with the limit of {@code limit}'s kind. */
    public static byte[] readBytes(Path file, FileLimit limit) {
        return readBytes(file, limit.maxBytes());
    }

    /** {@code file} as UTF-8 text, at most {@code maxBytes}; a one-line {@link InvalidInputException} otherwise. */
    public static String readText(Path file, long maxBytes) {
        byte[] bytes = readBytes(file, maxBytes);
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new InvalidInputException(file.toString(), "is not UTF-8 text");
        }
    }

    /** As {@link #readText(Path, long)} with the limit of {@code limit}'s kind. */
    public static String readText(Path file, FileLimit limit) {
        return readText(file, limit.maxBytes());
    }

    /** As {@link #readText(Path, long)} with {@link #MAX_TEXT_BYTES}. */
    public static String readText(Path file) {
        return readText(file, MAX_TEXT_BYTES);
    }

    /** What a non-regular file is, in words: from the mode bits where the platform has them. */
    private static String kind(Path file, BasicFileAttributes attributes) {
        if (attributes.isDirectory()) {
            return "a directory";
        }
        try {
            int type = (Integer) Files.getAttribute(file, "unix:mode") & 0170000;
            switch (type) {
                case 0010000: return "a FIFO (named pipe)";
                case 0020000: return "a character device";
                case 0060000: return "a block device";
                case 0140000: return "a socket";
                default: break;
            }
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | ClassCastException e) {
            // no unix view: fall through to the generic words
        }
        return "a device, FIFO or socket";
    }
}
