package dev.mod4j.loaders.pytorch;

import dev.mod4j.loaders.safetensors.CheckpointFile;
import dev.mod4j.loaders.safetensors.CheckpointFormatException;
import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.loaders.safetensors.FileBytes;
import dev.mod4j.loaders.safetensors.LoadMode;
import dev.mod4j.loaders.safetensors.Tensor;
import dev.mod4j.loaders.safetensors.TensorInfo;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A PyTorch checkpoint as {@code torch.save} writes it since PyTorch 1.6: a zip whose {@code <archive>/data.pkl}
 * pickles the state dict and whose {@code <archive>/data/<key>} entries hold the storages' raw little-endian bytes,
 * stored uncompressed. The pickle is read by {@link StateDictPickle} (no code runs); storages are viewed in place in
 * the mapped (or, for {@link LoadMode#COPY}, read) file at their zip entry's data offset, like safetensors tensors.
 * Tensors that are contiguous views of a storage (any storage offset; several tensors may share a storage) are
 * zero-copy; other strided views are copied into row-major order on first use. Tensors whose storage type mod4j does
 * not read (complex, quantized) are left out, so that they fail only when asked for.
 */
public final class PyTorchFile implements CheckpointFile {
    /** A {@code data.pkl} larger than this is refused (a 7B model's is about 100 KB). */
    static final long MAX_PICKLE_BYTES = 256L << 20;

    private record View(TensorInfo info, long storageStart, long storageOffset, long[] size, long[] stride,
                        boolean contiguous) {
    }

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final Map<String, View> views;
    private final Map<String, String> unreadable;
    private final Map<String, MemorySegment> copies = new ConcurrentHashMap<>();

    private PyTorchFile(Path path, Arena arena, MemorySegment file, Map<String, View> views, Map<String, String> unreadable) {
        this.path = path;
        this.arena = arena;
        this.file = file;
        this.views = views;
        this.unreadable = unreadable;
    }

    public static PyTorchFile open(Path path) {
        return open(path, LoadMode.MMAP);
    }

    public static PyTorchFile open(Path path, LoadMode mode) {
        String name = path.toString();
        record StateDict(Map<String, View> views, Map<String, String> unreadable) {
        }
        return FileBytes.open(path, mode, (mapped, size) -> {
            refuseIfNotZip(mapped, name);
            Map<String, View> views = new LinkedHashMap<>();
            Map<String, String> unreadable = new LinkedHashMap<>();
            readStateDict(mapped, name, views, unreadable);
            return new StateDict(Collections.unmodifiableMap(views), unreadable);
        }, (dict, arena, bytes) -> new PyTorchFile(path, arena, bytes, dict.views(), dict.unreadable()));
    }

    private static void refuseIfNotZip(MemorySegment file, String name) {
        long size = file.byteSize();
        int first = size > 0 ? file.get(ValueLayout.JAVA_BYTE, 0) & 0xFF : -1;
        if (first == 0x80) {
            // Before 1.6, torch.save wrote pickles one after another (magic number, protocol, sys info, the object).
            throw new CheckpointFormatException(name, "a PyTorch checkpoint in the legacy format (before PyTorch 1.6:"
                    + " consecutive pickles, not a zip), which mod4j does not read; load it with torch.load and save it"
                    + " again with torch.save in PyTorch 1.6 or later (or convert it to safetensors)");
        }
        if (size >= 262 && new String(file.asSlice(257, 5).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII)
                .equals("ustar")) {
            throw new CheckpointFormatException(name, "a PyTorch checkpoint in the tar format of PyTorch 0.x, which"
                    + " mod4j does not read; load it with torch.load and save it again with torch.save in PyTorch 1.6"
                    + " or later");
        }
        if (size < 4 || file.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 0) != 0x04034b50) {
            throw new CheckpointFormatException(name, "not a PyTorch checkpoint: neither a zip (torch.save since"
                    + " PyTorch 1.6) nor a legacy pickle");
        }
    }

    private static void readStateDict(MemorySegment file, String name, Map<String, View> views,
                                      Map<String, String> unreadable) {
        Map<String, ZipArchive.Entry> entries = ZipArchive.entries(file, name);
        List<ZipArchive.Entry> pickles = entries.values().stream()
                .filter(e -> e.name().endsWith("/data.pkl") && e.name().indexOf('/') == e.name().length() - 9).toList();
        if (pickles.size() != 1) {
            throw new CheckpointFormatException(name, pickles.isEmpty()
                    ? "a zip without '<archive>/data.pkl', so not a PyTorch checkpoint; its first entries are "
                    + entries.keySet().stream().limit(5).map(StateDictPickle::printable).toList()
                    : "a zip with " + pickles.size() + " '<archive>/data.pkl' entries; a PyTorch checkpoint has one");
        }
        ZipArchive.Entry pickle = pickles.getFirst();
        String prefix = pickle.name().substring(0, pickle.name().length() - "data.pkl".length());
        ZipArchive.Entry byteOrder = entries.get(prefix + "byteorder");
        if (byteOrder != null) {
            requireStored(byteOrder, name);
            String order = byteOrder.size() > 16 ? "?" : new String(file.asSlice(byteOrder.dataOffset(),
                    byteOrder.size()).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII).strip();
            if (!order.equals("little")) {
                throw new CheckpointFormatException(name, "storages are in '" + StateDictPickle.printable(order)
                        + "' byte order; mod4j reads little-endian checkpoints");
            }
        }
        requireStored(pickle, name);
        if (pickle.size() > MAX_PICKLE_BYTES) {
            throw new CheckpointFormatException(name, pickle.name() + " is " + pickle.size()
                    + " bytes, over the limit of " + MAX_PICKLE_BYTES);
        }
        Map<String, StateDictPickle.TensorView> stateDict = StateDictPickle.read(
                file.asSlice(pickle.dataOffset(), pickle.size()), name + ": " + pickle.name());
        for (Map.Entry<String, StateDictPickle.TensorView> e : stateDict.entrySet()) {
            StateDictPickle.TensorView view = e.getValue();
            if (view.storage().dtype() == null) {
                unreadable.put(e.getKey(), view.storage().typeName());
                continue;
            }
            ZipArchive.Entry storage = entries.get(prefix + "data/" + view.storage().key());
            if (storage == null) {
                throw new CheckpointFormatException(name, "tensor '" + StateDictPickle.printable(e.getKey())
                        + "' names storage '" + StateDictPickle.printable(view.storage().key())
                        + "', but the zip has no entry " + prefix + "data/" + StateDictPickle.printable(view.storage().key()));
            }
            requireStored(storage, name);
            views.put(e.getKey(), view(e.getKey(), view, storage, name));
        }
    }

    private static View view(String tensor, StateDictPickle.TensorView v, ZipArchive.Entry storage, String file) {
        String where = file + ": " + StateDictPickle.printable(tensor);
        DType dtype = v.storage().dtype();
        int elementBytes = dtype.byteSize();
        try {
            long storageBytes = Math.multiplyExact(v.storage().elements(), elementBytes);
            if (storageBytes > storage.size()) {
                throw new CheckpointFormatException(where, "storage '" + v.storage().key() + "' declares "
                        + v.storage().elements() + " " + dtype + " elements (" + storageBytes + " bytes), but its zip entry"
                        + " holds " + storage.size() + " bytes");
            }
            long elements = 1;
            long lastElement = v.storageOffset();
            boolean contiguous = true;
            long expectedStride = 1;
            for (int axis = v.size().length - 1; axis >= 0; axis--) {
                long n = v.size()[axis];
                long stride = v.stride()[axis];
                if (n < 0 || stride < 0) {
                    throw new CheckpointFormatException(where, "negative size or stride in " + shape(v));
                }
                elements = Math.multiplyExact(elements, n);
                if (n > 0) {
                    lastElement = Math.addExact(lastElement, Math.multiplyExact(n - 1, stride));
                }
                if (n != 1 && stride != expectedStride) {
                    contiguous = false;
                }
                expectedStride = Math.multiplyExact(expectedStride, n);
            }
            if (v.storageOffset() < 0) {
                throw new CheckpointFormatException(where, "negative storage offset " + v.storageOffset());
            }
            if (elements > 0 && lastElement >= v.storage().elements()) {
                throw new CheckpointFormatException(where, shape(v) + " at storage offset " + v.storageOffset()
                        + " reaches element " + lastElement + " of storage '" + v.storage().key() + "', which holds "
                        + v.storage().elements());
            }
            if (!contiguous && elements > v.storage().elements()) {
                throw new CheckpointFormatException(where, shape(v) + " repeats storage elements (a stride of 0, as"
                        + " expand() makes); save tensor.contiguous() instead");
            }
            long begin = elements == 0 ? storage.dataOffset()
                    : storage.dataOffset() + v.storageOffset() * elementBytes;
            TensorInfo info = new TensorInfo(tensor, dtype, v.size(), begin, begin + elements * elementBytes);
            return new View(info, storage.dataOffset(), v.storageOffset(), v.size(), v.stride(), contiguous);
        } catch (ArithmeticException overflow) {
            throw new CheckpointFormatException(where, shape(v) + " overflows 64-bit byte offsets");
        }
    }

    private static String shape(StateDictPickle.TensorView v) {
        return "size " + java.util.Arrays.toString(v.size()) + " stride " + java.util.Arrays.toString(v.stride());
    }

    private static void requireStored(ZipArchive.Entry entry, String name) {
        if (entry.method() != ZipArchive.STORED) {
            throw new CheckpointFormatException(name, "zip entry '" + StateDictPickle.printable(entry.name()) + "' is "
                    + (entry.method() == ZipArchive.DEFLATED ? "deflated" : "compressed (method " + entry.method() + ")")
                    + "; torch.save stores entries uncompressed and mod4j maps them in place, so the file was"
                    + " probably re-zipped: save it again with torch.save");
        }
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public String format() {
        return "pytorch zip";
    }

    @Override
    public Set<String> tensorNames() {
        return views.keySet();
    }

    @Override
    public boolean contains(String name) {
        return views.containsKey(name);
    }

    @Override
    public TensorInfo info(String name) {
        return view(name).info();
    }

    /** A view into the file for contiguous tensors; a row-major copy (made once) for other strided views. */
    @Override
    public Tensor tensor(String name) {
        View v = view(name);
        MemorySegment data = v.contiguous() ? file.asSlice(v.info().dataBegin(), v.info().byteSize())
                : copies.computeIfAbsent(name, n -> gather(v));
        return new Tensor(v.info(), data, path.toString());
    }

    private View view(String name) {
        View v = views.get(name);
        if (v == null) {
            String type = unreadable.get(name);
            throw new CheckpointFormatException(path.toString(), type != null
                    ? "tensor '" + name + "' is a torch." + type + ", a dtype mod4j does not read"
                    : "no tensor named '" + name + "'");
        }
        return v;
    }

    private MemorySegment gather(View v) {
        int elementBytes = v.info().dtype().byteSize();
        long elements = v.info().elementCount();
        MemorySegment out = arena.allocate(Math.max(1, elements * elementBytes), 64).asSlice(0, elements * elementBytes);
        int rank = v.size().length;
        long[] index = new long[rank];
        for (long i = 0; i < elements; i++) {
            long element = v.storageOffset();
            for (int axis = 0; axis < rank; axis++) {
                element += index[axis] * v.stride()[axis];
            }
            MemorySegment.copy(file, v.storageStart() + element * elementBytes, out, i * elementBytes, elementBytes);
            for (int axis = rank - 1; axis >= 0 && ++index[axis] == v.size()[axis]; axis--) {
                index[axis] = 0;
            }
        }
        return out;
    }

    @Override
    public void close() {
        arena.close();
    }
}
