package dev.mod4j.loaders.safetensors;

import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.SmallFiles;
import dev.mod4j.loaders.progress.ProgressListener;
import dev.mod4j.loaders.progress.ProgressTask;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * How every checkpoint format opens its files: mapped, its layout read from the mapping, then either kept mapped
 * ({@link LoadMode#MMAP}) or read whole into off-heap memory ({@link LoadMode#COPY}).
 */
public final class FileBytes {
    private FileBytes() {
    }

    /** Reads a format's layout (header, index of tensors) from the mapped file; throws on a malformed file. */
    @FunctionalInterface
    public interface LayoutReader<L> {
        L read(MemorySegment mapped, long size);
    }

    /** Makes the opened file from its layout and the memory that holds its bytes (owned by {@code arena}). */
    @FunctionalInterface
    public interface Opened<L, F> {
        F of(L layout, Arena arena, MemorySegment bytes);
    }

    /**
     * Opens {@code path}: maps it, reads its layout, and hands the mapping (MMAP) or a copy in memory (COPY) to
     * {@code opened}. A missing or unreadable file is a one-line {@link CheckpointFormatException}; nothing stays
     * mapped or allocated when opening fails.
     */
    public static <L, F> F open(Path path, LoadMode mode, LayoutReader<L> reader, Opened<L, F> opened) {
        String name = path.toString();
        checkRegularFile(path);
        Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = channel.size();
            MemorySegment mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            L layout = reader.read(mapped, size);
            if (mode == LoadMode.MMAP) {
                return opened.of(layout, arena, mapped);
            }
            arena.close();
            Arena owned = Arena.ofShared();
            try {
                return opened.of(layout, owned, copy(channel, size, owned, name));
            } catch (IOException | RuntimeException e) {
                owned.close();
                throw e;
            }
        } catch (NoSuchFileException e) {
            closeIfOpen(arena);
            throw new CheckpointFormatException(name, "file not found");
        } catch (IOException e) {
            closeIfOpen(arena);
            throw new CheckpointFormatException(name, "cannot read: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeIfOpen(arena);
            throw e;
        }
    }

    /** A small checkpoint file (an index) read whole through {@link SmallFiles}, its errors as checkpoint errors. */
    static byte[] readWhole(Path path, long maxBytes) {
        try {
            return SmallFiles.readBytes(path, maxBytes);
        } catch (CheckpointFormatException e) {
            throw e;
        } catch (InvalidInputException e) {
            throw new CheckpointFormatException(e.source(), e.problem());
        }
    }

    /** Refuses a directory, FIFO or device before it is opened (a FIFO would block the open). */
    static void checkRegularFile(Path path) {
        try {
            SmallFiles.checkReadable(path, Long.MAX_VALUE);
        } catch (InvalidInputException e) {
            throw new CheckpointFormatException(e.source(), e.problem());
        }
    }

    private static final long COPY_CHUNK_BYTES = 64L << 20;

    /** Whole mebibytes in {@code bytes}, rounded up (the progress unit of a copy). */
    private static long mebibytes(long bytes) {
        return (bytes + (1L << 20) - 1) >> 20;
    }

    private static void closeIfOpen(Arena arena) {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }

    /**
     * The file's bytes in memory owned by {@code arena} (huge-page backed where possible). Read with read(), not
     * from a mapping: pages touched through a mapping count in the resident set too, so copying from it would hold
     * the weights twice at the peak.
     */
    public static MemorySegment copy(FileChannel channel, long size, Arena arena, String name) throws IOException {
        MemorySegment target = HugePageMemory.allocate(arena, size);
        String file = Path.of(name).getFileName().toString();
        try (ProgressTask progress = ProgressListener.current().start("load " + file + " (MiB)", mebibytes(size))) {
            // Chunks of 64 MiB: few enough reads, and a progress step every fraction of a second.
            for (long at = 0; at < size; ) {
                ByteBuffer chunk = target.asSlice(at, Math.min(size - at, COPY_CHUNK_BYTES)).asByteBuffer();
                while (chunk.hasRemaining()) {
                    if (channel.read(chunk, at + chunk.position()) < 0) {
                        throw new CheckpointFormatException(name, "file shrank to " + (at + chunk.position())
                                + " bytes while being read (expected " + size + ")");
                    }
                }
                progress.advance(mebibytes(at + chunk.capacity()) - mebibytes(at));
                at += chunk.capacity();
            }
        }
        return target;
    }
}
