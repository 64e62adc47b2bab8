package dev.mod4j.loaders.pytorch;

import dev.mod4j.loaders.safetensors.CheckpointFormatException;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The entries of a zip archive, read from the central directory of the mapped file, each with the offset of its
 * data (found from its local header). The JDK's {@code ZipFile} does not expose data offsets, and mapping a storage
 * in place needs them. Every offset and length is checked against the file before it is used.
 */
final class ZipArchive {
    static final int STORED = 0;
    static final int DEFLATED = 8;

    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int END_OF_DIRECTORY = 0x06054b50;
    private static final int ZIP64_LOCATOR = 0x07064b50;
    private static final int ZIP64_END_OF_DIRECTORY = 0x06064b50;
    private static final int DIRECTORY_ENTRY = 0x02014b50;
    private static final int LOCAL_HEADER = 0x04034b50;
    private static final long MAX_ENTRIES = 10_000_000;

    /**
     * @param size       the entry's (uncompressed) size in bytes
     * @param dataOffset where its data starts in the file
     */
    record Entry(String name, int method, long compressedSize, long size, long dataOffset) {
    }

    private ZipArchive() {
    }

    /** Entries by name, in directory order. */
    static Map<String, Entry> entries(MemorySegment file, String where) {
        long fileSize = file.byteSize();
        long end = findEndOfDirectory(file, where);
        long entryCount = u16(file, end + 10);
        long directorySize = u32(file, end + 12);
        long directoryOffset = u32(file, end + 16);
        long locator = end - 20;
        if (locator >= 0 && file.get(U32, locator) == ZIP64_LOCATOR) {
            long zip64End = file.get(U64, locator + 8);
            if (zip64End < 0 || zip64End > locator - 56 || file.get(U32, zip64End) != ZIP64_END_OF_DIRECTORY) {
                throw new CheckpointFormatException(where, "corrupt zip: the zip64 end-of-directory record is missing");
            }
            entryCount = file.get(U64, zip64End + 32);
            directorySize = file.get(U64, zip64End + 40);
            directoryOffset = file.get(U64, zip64End + 48);
        }
        if (directoryOffset < 0 || directorySize < 0 || directoryOffset > end || directorySize > end - directoryOffset) {
            throw new CheckpointFormatException(where, "corrupt zip: the central directory (" + directorySize
                    + " bytes at " + directoryOffset + ") lies outside the " + fileSize + "-byte file");
        }
        if (entryCount < 0 || entryCount > MAX_ENTRIES || entryCount > directorySize / 46) {
            throw new CheckpointFormatException(where, "corrupt zip: " + entryCount + " entries cannot fit in a "
                    + directorySize + "-byte central directory");
        }
        Map<String, Entry> entries = new LinkedHashMap<>();
        long at = directoryOffset;
        long directoryEnd = directoryOffset + directorySize;
        for (long i = 0; i < entryCount; i++) {
            if (directoryEnd - at < 46 || file.get(U32, at) != DIRECTORY_ENTRY) {
                throw new CheckpointFormatException(where, "corrupt zip: central directory entry " + i
                        + " is missing or truncated");
            }
            int flags = u16(file, at + 8);
            int method = u16(file, at + 10);
            long compressed = u32(file, at + 20);
            long size = u32(file, at + 24);
            int nameLength = u16(file, at + 28);
            int extraLength = u16(file, at + 30);
            int commentLength = u16(file, at + 32);
            long localHeader = u32(file, at + 42);
            long next = at + 46 + nameLength + extraLength + commentLength;
            if (next > directoryEnd) {
                throw new CheckpointFormatException(where, "corrupt zip: central directory entry " + i
                        + " runs past the directory's end");
            }
            String name = new String(file.asSlice(at + 46, nameLength).toArray(ValueLayout.JAVA_BYTE),
                    StandardCharsets.UTF_8);
            // Zip64: the fields that overflowed 32 bits are 0xFFFFFFFF and follow, in this order, in extra field 1.
            long extra = at + 46 + nameLength;
            for (long e = extra; e + 4 <= extra + extraLength; ) {
                int id = u16(file, e);
                int length = u16(file, e + 2);
                long fieldEnd = e + 4 + length;
                if (fieldEnd > extra + extraLength) {
                    break;
                }
                if (id == 1) {
                    long f = e + 4;
                    if (size == 0xFFFF_FFFFL && f + 8 <= fieldEnd) {
                        size = file.get(U64, f);
                        f += 8;
                    }
                    if (compressed == 0xFFFF_FFFFL && f + 8 <= fieldEnd) {
                        compressed = file.get(U64, f);
                        f += 8;
                    }
                    if (localHeader == 0xFFFF_FFFFL && f + 8 <= fieldEnd) {
                        localHeader = file.get(U64, f);
                    }
                }
                e = fieldEnd;
            }
            if ((flags & 1) != 0) {
                throw new CheckpointFormatException(where, "zip entry '" + name + "' is encrypted");
            }
            long dataOffset = dataOffset(file, name, localHeader, where);
            if (compressed < 0 || size < 0 || compressed > fileSize - dataOffset) {
                throw new CheckpointFormatException(where, "corrupt zip: entry '" + name + "' declares " + compressed
                        + " bytes at offset " + dataOffset + ", past the end of the " + fileSize + "-byte file");
            }
            if (method == STORED && compressed != size) {
                throw new CheckpointFormatException(where, "corrupt zip: stored entry '" + name + "' declares "
                        + size + " bytes but occupies " + compressed);
            }
            entries.put(name, new Entry(name, method, compressed, size, dataOffset));
            at = next;
        }
        return entries;
    }

    private static long dataOffset(MemorySegment file, String name, long localHeader, String where) {
        if (localHeader < 0 || localHeader > file.byteSize() - 30 || file.get(U32, localHeader) != LOCAL_HEADER) {
            throw new CheckpointFormatException(where, "corrupt zip: no local header for entry '" + name
                    + "' at offset " + localHeader);
        }
        return localHeader + 30 + u16(file, localHeader + 26) + u16(file, localHeader + 28);
    }

    private static long findEndOfDirectory(MemorySegment file, String where) {
        long size = file.byteSize();
        // The record is 22 bytes plus a comment of at most 65535 bytes, at the very end of the file.
        for (long at = size - 22; at >= 0 && at >= size - 22 - 65535; at--) {
            if (file.get(U32, at) == END_OF_DIRECTORY && at + 22 + u16(file, at + 20) == size) {
                return at;
            }
        }
        throw new CheckpointFormatException(where, "truncated or corrupt zip: no end-of-central-directory record");
    }

    private static int u16(MemorySegment file, long at) {
        return file.get(U16, at) & 0xFFFF;
    }

    private static long u32(MemorySegment file, long at) {
        return file.get(U32, at) & 0xFFFF_FFFFL;
    }
}
