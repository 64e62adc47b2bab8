package dev.mod4j.loaders;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Reading a small text file (a JSON config, a ref) whole, bounded: its size is checked before anything is read, and
 * only regular files are opened (a FIFO or a device would block or never end).
 */
public final class SmallFiles {
    /** The most a config-like file may hold; real ones are kilobytes (a tokenizer_config.json with templates). */
    public static final long MAX_TEXT_BYTES = 64L << 20;

    private SmallFiles() {
    }

    /** {@code file} as UTF-8 text, at most {@code maxBytes}; a one-line {@link InvalidInputException} otherwise. */
    public static String readText(Path file, long maxBytes) {
        String source = file.toString();
        try {
            if (!Files.exists(file)) {
                throw new InvalidInputException(source, "file not found");
            }
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(file)) {
                throw new InvalidInputException(source, "is not a regular file");
            }
            long size = Files.size(file);
            if (size > maxBytes) {
                throw new InvalidInputException(source, "file is " + size + " bytes, over the " + maxBytes
                        + "-byte limit");
            }
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(file)))
                    .toString();
        } catch (NoSuchFileException e) {
            throw new InvalidInputException(source, "file not found");
        } catch (CharacterCodingException e) {
            throw new InvalidInputException(source, "is not UTF-8 text");
        } catch (IOException e) {
            throw new InvalidInputException(source, "cannot read: " + e.getMessage());
        }
    }

    /** As {@link #readText(Path, long)} with {@link #MAX_TEXT_BYTES}. */
    public static String readText(Path file) {
        return readText(file, MAX_TEXT_BYTES);
    }
}
