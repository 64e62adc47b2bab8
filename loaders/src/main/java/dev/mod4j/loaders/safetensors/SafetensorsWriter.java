package dev.mod4j.loaders.safetensors;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Writes safetensors files: tensors in the order added, header padded with spaces to an 8-byte boundary
 * (as the reference implementation does, so the data section is aligned).
 */
public final class SafetensorsWriter {
    private final List<TensorData> tensors = new ArrayList<>();
    private final Set<String> names = new HashSet<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    /**
     * A tensor to write. Its little-endian bytes (length shape × dtype size) come from {@code content} when the file
     * is written, so a writer can stream a checkpoint larger than the heap one tensor at a time.
     */
    public record TensorData(String name, DType dtype, long[] shape, Supplier<MemorySegment> content) {
        public TensorData {
            if (!dtype.inSafetensors()) {
                throw new IllegalArgumentException(name + ": " + dtype + " is no safetensors dtype");
            }
            shape = shape.clone();
            for (long d : shape) {
                if (d < 0) {
                    throw new IllegalArgumentException(name + ": negative dimension in shape");
                }
            }
        }

        /** A tensor whose bytes are already in memory. */
        public TensorData(String name, DType dtype, long[] shape, MemorySegment bytes) {
            this(name, dtype, shape, () -> bytes);
            if (bytes.byteSize() != byteSize()) {
                throw new IllegalArgumentException(name + ": " + bytes.byteSize() + " bytes for shape "
                        + java.util.Arrays.toString(shape) + " of " + dtype);
            }
        }

        public long byteSize() {
            long elements = 1;
            for (long d : shape) {
                elements = Math.multiplyExact(elements, d);
            }
            return Math.multiplyExact(elements, (long) dtype.byteSize());
        }

        /** The bytes (produced now if they are lazy). */
        public MemorySegment bytes() {
            MemorySegment bytes = content.get();
            if (bytes.byteSize() != byteSize()) {
                throw new IllegalStateException(name + ": content has " + bytes.byteSize() + " bytes, shape needs "
                        + byteSize());
            }
            return bytes;
        }

        /** Rounds {@code values} to {@code dtype} (F32, F16 or BF16) and wraps them as tensor bytes. */
        public static TensorData ofFloats(String name, DType dtype, long[] shape, float[] values) {
            return new TensorData(name, dtype, shape, MemorySegment.ofArray(encode(name, dtype, values)));
        }

        /** A tensor whose float values are made only when it is written (then rounded to {@code dtype}). */
        public static TensorData lazyFloats(String name, DType dtype, long[] shape, Supplier<float[]> values) {
            return new TensorData(name, dtype, shape, () -> MemorySegment.ofArray(encode(name, dtype, values.get())));
        }

        private static byte[] encode(String name, DType dtype, float[] values) {
            ByteBuffer buf = ByteBuffer.allocate(Math.multiplyExact(values.length, dtype.byteSize()))
                    .order(ByteOrder.LITTLE_ENDIAN);
            switch (dtype) {
                case F32 -> buf.asFloatBuffer().put(values);
                case F16 -> {
                    for (float v : values) {
                        buf.putShort(HalfFloats.floatToF16(v));
                    }
                }
                case BF16 -> {
                    for (float v : values) {
                        buf.putShort(HalfFloats.floatToBf16(v));
                    }
                }
                default -> throw new IllegalArgumentException(name + ": cannot write floats as " + dtype);
            }
            return buf.array();
        }

        /** Copies an existing tensor (e.g. to re-shard a checkpoint). */
        public static TensorData of(Tensor tensor) {
            return new TensorData(tensor.name(), tensor.dtype(), tensor.shape(), tensor.data());
        }
    }

    public SafetensorsWriter add(TensorData tensor) {
        if (!names.add(tensor.name())) {
            throw new IllegalArgumentException("tensor '" + tensor.name() + "' added twice");
        }
        if (tensor.name().equals("__metadata__")) {
            throw new IllegalArgumentException("'__metadata__' is reserved");
        }
        tensors.add(tensor);
        return this;
    }

    public SafetensorsWriter addFloats(String name, DType dtype, long[] shape, float[] values) {
        return add(TensorData.ofFloats(name, dtype, shape, values));
    }

    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    public long dataBytes() {
        return tensors.stream().mapToLong(TensorData::byteSize).sum();
    }

    public void write(Path file) {
        ObjectNode header = JsonNodeFactory.instance.objectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (TensorData t : tensors) {
            ObjectNode entry = header.putObject(t.name());
            entry.put("dtype", t.dtype().name());
            ArrayNode shape = entry.putArray("shape");
            for (long d : t.shape()) {
                shape.add(d);
            }
            entry.putArray("data_offsets").add(offset).add(offset + t.byteSize());
            offset += t.byteSize();
        }
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer prefix = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        prefix.putLong(padded).put(json);
        while (prefix.hasRemaining()) {
            prefix.put((byte) ' ');
        }
        prefix.flip();
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            writeFully(out, prefix);
            for (TensorData t : tensors) {
                MemorySegment bytes = t.bytes();
                // asByteBuffer is limited to 2 GiB, so large tensors go out in slices.
                long chunk = 1L << 30;
                for (long pos = 0; pos < t.byteSize(); pos += chunk) {
                    writeFully(out, bytes.asSlice(pos, Math.min(chunk, t.byteSize() - pos)).asByteBuffer());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private static void writeFully(FileChannel out, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            out.write(buffer);
        }
    }
}
