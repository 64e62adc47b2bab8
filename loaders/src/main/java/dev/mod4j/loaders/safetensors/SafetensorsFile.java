package dev.mod4j.loaders.safetensors;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * One safetensors file, mapped (or copied) into memory with the FFM API. Opening reads only the header;
 * tensors are views into the mapping. Closing the file unmaps it; tensors must not be used afterwards.
 */
public final class SafetensorsFile implements CheckpointFile {
    private final Path path;
    private final SafetensorsHeader header;
    private final Arena arena;
    private final MemorySegment file;

    private SafetensorsFile(Path path, SafetensorsHeader header, Arena arena, MemorySegment file) {
        this.path = path;
        this.header = header;
        this.arena = arena;
        this.file = file;
    }

    public static SafetensorsFile open(Path path) {
        return open(path, LoadMode.MMAP);
    }

    public static SafetensorsFile open(Path path, LoadMode mode) {
        String name = path.toString();
        return FileBytes.open(path, mode, (mapped, size) -> {
            if (size < 8) {
                throw new CheckpointFormatException(name, "file is " + size + " bytes, too short for the 8-byte header length");
            }
            long declared = mapped.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
            return SafetensorsHeader.parse(name, size, declared,
                    length -> mapped.asSlice(8, length).toArray(ValueLayout.JAVA_BYTE));
        }, (header, arena, bytes) -> new SafetensorsFile(path, header, arena, bytes));
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public String format() {
        return "safetensors";
    }

    public SafetensorsHeader header() {
        return header;
    }

    public Map<String, String> metadata() {
        return header.metadata();
    }

    @Override
    public Set<String> tensorNames() {
        return header.tensors().keySet();
    }

    @Override
    public boolean contains(String name) {
        return header.tensors().containsKey(name);
    }

    @Override
    public TensorInfo info(String name) {
        TensorInfo info = header.tensors().get(name);
        if (info == null) {
            throw new CheckpointFormatException(path.toString(), "no tensor named '" + name + "'");
        }
        return info;
    }

    /** A zero-copy view of the tensor's bytes in the mapping. */
    @Override
    public Tensor tensor(String name) {
        TensorInfo info = info(name);
        return new Tensor(info, file.asSlice(header.dataStart() + info.dataBegin(), info.byteSize()), path.toString());
    }

    /** The whole file's memory (header included), e.g. to check that views share its address. */
    public MemorySegment segment() {
        return file;
    }

    @Override
    public void close() {
        arena.close();
    }
}
