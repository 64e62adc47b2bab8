package dev.mod4j.loaders.safetensors;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/** A whole checkpoint file read into off-heap memory for {@link LoadMode#COPY}, shared by the file formats. */
public final class FileBytes {
    private FileBytes() {
    }

    /**
     * The file's bytes in memory owned by {@code arena} (huge-page backed where possible). Read with read(), not
     * from a mapping: pages touched through a mapping count in the resident set too, so copying from it would hold
     * the weights twice at the peak.
     */
    public static MemorySegment copy(FileChannel channel, long size, Arena arena, String name) throws IOException {
        MemorySegment target = HugePageMemory.allocate(arena, size);
        for (long at = 0; at < size; ) {
            ByteBuffer chunk = target.asSlice(at, Math.min(size - at, 1L << 30)).asByteBuffer();
            while (chunk.hasRemaining()) {
                if (channel.read(chunk, at + chunk.position()) < 0) {
                    throw new CheckpointFormatException(name, "file shrank to " + (at + chunk.position())
                            + " bytes while being read (expected " + size + ")");
                }
            }
            at += chunk.capacity();
        }
        return target;
    }
}
