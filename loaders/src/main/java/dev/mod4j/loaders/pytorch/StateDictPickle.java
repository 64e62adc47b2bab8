package dev.mod4j.loaders.pytorch;

import dev.mod4j.loaders.safetensors.CheckpointFormatException;
import dev.mod4j.loaders.safetensors.DType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the {@code data.pkl} of a PyTorch zip checkpoint into a state dict: tensor name → which storage, at which
 * offset, with which sizes and strides. Nothing is executed and nothing is looked up by name in Java: the only
 * globals accepted are the handful a state dict uses ({@code collections.OrderedDict}, {@code torch._utils}'s tensor
 * and parameter rebuild functions, the {@code torch.*Storage} types), and any other is refused by name when its
 * GLOBAL opcode is read, before anything could be built from it. Persistent ids must be PyTorch's
 * {@code ('storage', storage_type, key, location, numel)}.
 *
 * <p>Why not {@code net.razorvine:pickle}: its constructor registry is static (JVM-wide), an unknown global becomes a
 * {@code ClassDict} instead of an error (refusing means overriding {@code dispatch} for GLOBAL and STACK_GLOBAL, whose
 * handlers are package-private), and it allocates every length field before reading (a 4-byte BINUNICODE length
 * allocates up to 2 GiB). With those opcodes overridden, what remains of it is the trivial part. This reader is
 * small, reads straight from the mapped entry, checks every length against the bytes left, and accepts only the
 * opcodes a state dict pickle uses (protocols 2 to 5).
 */
final class StateDictPickle {
    /** A storage as its persistent id names it; {@code dtype} is null for types mod4j does not read (complex, quantized). */
    record Storage(String key, String typeName, DType dtype, long elements) {
    }

    /** A {@code torch._utils._rebuild_tensor_v2} call: a strided view of a storage, offsets and strides in elements. */
    record TensorView(Storage storage, long storageOffset, long[] size, long[] stride) {
    }

    /** The torch storage types mod4j reads, with their dtypes. */
    static final Map<String, DType> STORAGE_TYPES = Map.of("FloatStorage", DType.F32, "HalfStorage", DType.F16,
            "BFloat16Storage", DType.BF16, "DoubleStorage", DType.F64, "LongStorage", DType.I64, "IntStorage", DType.I32,
            "ShortStorage", DType.I16, "CharStorage", DType.I8, "ByteStorage", DType.U8, "BoolStorage", DType.BOOL);

    /** Storage types that are accepted in a state dict, so that loading does not fail, but whose tensors cannot be read. */
    static final List<String> UNREADABLE_STORAGE_TYPES = List.of("ComplexFloatStorage", "ComplexDoubleStorage",
            "QInt8Storage", "QUInt8Storage", "QInt32Storage", "QUInt4x2Storage", "QUInt2x4Storage");

    private static final int MAX_PROTOCOL = 5;
    private static final int MAX_GLOBAL_LINE = 256;

    private record Global(String module, String name) {
        String qualified() {
            return module + "." + name;
        }
    }

    private record Tuple(List<Object> items) {
    }

    /** Python's None; the stack is a list and Java collections here hold no nulls. */
    private enum None { NONE }

    private static final Object MARK = new Object();

    private final MemorySegment data;
    private final String where;
    private final List<Object> stack = new ArrayList<>();
    private final List<Integer> marks = new ArrayList<>();
    private final Map<Long, Object> memo = new HashMap<>();
    private final Map<String, Storage> storages = new HashMap<>();
    private long pos;

    private StateDictPickle(MemorySegment data, String where) {
        this.data = data;
        this.where = where;
    }

    /** The state dict in the pickle, in its order. {@code where} names the file and entry for errors. */
    static Map<String, TensorView> read(MemorySegment pickle, String where) {
        Object result = new StateDictPickle(pickle, where).run();
        if (!(result instanceof Map<?, ?> dict)) {
            throw new CheckpointFormatException(where, "the pickle holds " + describe(result)
                    + ", not a state dict (a dict of tensor name to tensor)");
        }
        Map<String, TensorView> tensors = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : dict.entrySet()) {
            if (!(e.getKey() instanceof String name)) {
                throw new CheckpointFormatException(where, "state dict key " + describe(e.getKey()) + " is not a string");
            }
            if (!(e.getValue() instanceof TensorView view)) {
                throw new CheckpointFormatException(where, "state dict entry '" + printable(name) + "' is " + describe(e.getValue())
                        + ", not a tensor; mod4j reads state dicts (tensor name to tensor), e.g. model.state_dict()");
            }
            tensors.put(name, view);
        }
        return tensors;
    }

    private Object run() {
        while (true) {
            int opcode = u8();
            switch (opcode) {
                case 0x80 -> { // PROTO
                    int protocol = u8();
                    if (protocol < 2 || protocol > MAX_PROTOCOL) {
                        throw error("pickle protocol " + protocol + " (PyTorch writes 2 to " + MAX_PROTOCOL + ")");
                    }
                }
                case 0x95 -> skip(8); // FRAME: a length hint for buffered readers
                case '.' -> { // STOP
                    Object result = pop();
                    if (!stack.isEmpty() || !marks.isEmpty()) {
                        throw error("the pickle stops with " + stack.size() + " values left on the stack");
                    }
                    return result;
                }
                case '(' -> { // MARK
                    marks.add(stack.size());
                    stack.add(MARK);
                }
                case '0' -> pop(); // POP
                case '1' -> popMark(); // POP_MARK
                case '2' -> push(peek()); // DUP
                case 'N' -> push(None.NONE);
                case 0x88 -> push(Boolean.TRUE);
                case 0x89 -> push(Boolean.FALSE);
                case 'J' -> push((long) data.get(I32, take(4))); // BININT
                case 'K' -> push((long) u8()); // BININT1
                case 'M' -> push((long) (data.get(I16, take(2)) & 0xFFFF)); // BININT2
                case 0x8a -> push(long1()); // LONG1
                case 'G' -> push(data.get(F64_BIG_ENDIAN, take(8))); // BINFLOAT
                case 'X' -> push(string(data.get(I32, take(4)) & 0xFFFF_FFFFL)); // BINUNICODE
                case 0x8c -> push(string(u8())); // SHORT_BINUNICODE
                case 0x8d -> push(string(data.get(I64, take(8)))); // BINUNICODE8
                case '}' -> push(new LinkedHashMap<>()); // EMPTY_DICT
                case 'd' -> { // DICT
                    List<Object> items = popMark();
                    Map<Object, Object> dict = new LinkedHashMap<>();
                    putAll(dict, items);
                    push(dict);
                }
                case 's' -> { // SETITEM
                    Object value = pop();
                    Object key = pop();
                    putAll(dictOnTop(), List.of(key, value));
                }
                case 'u' -> { // SETITEMS
                    List<Object> items = popMark();
                    putAll(dictOnTop(), items);
                }
                case ']' -> push(new ArrayList<>()); // EMPTY_LIST
                case 'l' -> push(new ArrayList<>(popMark())); // LIST
                case 'a' -> { // APPEND
                    Object value = pop();
                    listOnTop().add(value);
                }
                case 'e' -> { // APPENDS
                    List<Object> items = popMark();
                    listOnTop().addAll(items);
                }
                case ')' -> push(new Tuple(List.of())); // EMPTY_TUPLE
                case 't' -> push(new Tuple(popMark())); // TUPLE
                case 0x85 -> push(tuple(1)); // TUPLE1
                case 0x86 -> push(tuple(2)); // TUPLE2
                case 0x87 -> push(tuple(3)); // TUPLE3
                case 'c' -> push(global(line(), line())); // GLOBAL
                case 0x93 -> { // STACK_GLOBAL
                    Object name = pop();
                    Object module = pop();
                    if (!(module instanceof String m) || !(name instanceof String n)) {
                        throw error("STACK_GLOBAL needs two strings, found " + describe(module) + " and " + describe(name));
                    }
                    push(global(m, n));
                }
                case 'R' -> { // REDUCE
                    Object arguments = pop();
                    Object callable = pop();
                    if (!(callable instanceof Global g) || !(arguments instanceof Tuple t)) {
                        throw error("REDUCE needs a global and an argument tuple, found " + describe(callable) + " and "
                                + describe(arguments));
                    }
                    push(call(g, t.items()));
                }
                case 'b' -> { // BUILD: sets attributes, e.g. a state dict's _metadata, which a reader can ignore
                    Object state = pop();
                    if (!(peek() instanceof Map<?, ?>)) {
                        throw error("BUILD on " + describe(peek()) + "; only a state dict's attributes can be set");
                    }
                }
                case 'Q' -> push(persistentLoad(pop())); // BINPERSID
                case 'q' -> memo.put((long) u8(), peek()); // BINPUT
                case 'r' -> memo.put(data.get(I32, take(4)) & 0xFFFF_FFFFL, peek()); // LONG_BINPUT
                case 0x94 -> memo.put((long) memo.size(), peek()); // MEMOIZE
                case 'h' -> push(memoGet(u8())); // BINGET
                case 'j' -> push(memoGet(data.get(I32, take(4)) & 0xFFFF_FFFFL)); // LONG_BINGET
                default -> throw error(String.format("pickle opcode 0x%02x at byte %d is not one a PyTorch state dict"
                        + " uses", opcode, pos - 1));
            }
        }
    }

    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64_BIG_ENDIAN =
            ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private Global global(String module, String name) {
        Global g = new Global(module, name);
        boolean allowed = switch (g.qualified()) {
            case "collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor",
                 "torch._utils._rebuild_parameter" -> true;
            default -> module.equals("torch") && (STORAGE_TYPES.containsKey(name) || UNREADABLE_STORAGE_TYPES.contains(name));
        };
        if (!allowed) {
            throw error("refusing global '" + g.qualified() + "': a state dict needs only tensors, storages and"
                    + " OrderedDict, and mod4j runs no code from a pickle");
        }
        return g;
    }

    private Object call(Global g, List<Object> args) {
        return switch (g.qualified()) {
            case "collections.OrderedDict" -> {
                if (!args.isEmpty()) {
                    throw error("collections.OrderedDict called with " + args.size() + " arguments; expected none");
                }
                yield new LinkedHashMap<>();
            }
            case "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor" -> rebuildTensor(args);
            case "torch._utils._rebuild_parameter" -> {
                // (data, requires_grad, backward_hooks): a Parameter is its data tensor
                if (args.size() != 3 || !(args.getFirst() instanceof TensorView view)) {
                    throw error("torch._utils._rebuild_parameter expects (tensor, requires_grad, hooks)");
                }
                yield view;
            }
            default -> throw error("'" + g.qualified() + "' is a type, not something a state dict calls");
        };
    }

    /** {@code _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])}. */
    private TensorView rebuildTensor(List<Object> args) {
        if (args.size() < 4 || args.size() > 7 || !(args.get(0) instanceof Storage storage)
                || !(args.get(1) instanceof Long offset) || !(args.get(2) instanceof Tuple size)
                || !(args.get(3) instanceof Tuple stride)) {
            throw error("torch._utils._rebuild_tensor_v2 expects (storage, offset, size, stride, ...), found "
                    + args.stream().map(StateDictPickle::describe).toList());
        }
        long[] sizes = longs(size, "size");
        long[] strides = longs(stride, "stride");
        if (sizes.length != strides.length) {
            throw error("tensor has " + sizes.length + " sizes but " + strides.length + " strides");
        }
        return new TensorView(storage, offset, sizes, strides);
    }

    private long[] longs(Tuple t, String what) {
        long[] out = new long[t.items().size()];
        for (int i = 0; i < out.length; i++) {
            if (!(t.items().get(i) instanceof Long v)) {
                throw error("tensor " + what + " holds " + describe(t.items().get(i)) + ", not an integer");
            }
            out[i] = v;
        }
        return out;
    }

    /** PyTorch's persistent id for a storage: {@code ('storage', storage_type, key, location, numel)}. */
    private Storage persistentLoad(Object pid) {
        if (!(pid instanceof Tuple t) || t.items().size() != 5 || !"storage".equals(t.items().get(0))
                || !(t.items().get(1) instanceof Global type) || !(t.items().get(2) instanceof String key)
                || !(t.items().get(3) instanceof String) || !(t.items().get(4) instanceof Long elements)) {
            throw error("persistent id " + describe(pid) + " is not ('storage', type, key, location, numel)");
        }
        if (!type.module().equals("torch") || !(STORAGE_TYPES.containsKey(type.name())
                || UNREADABLE_STORAGE_TYPES.contains(type.name()))) {
            throw error("persistent id names '" + type.qualified() + "', which is not a storage type");
        }
        if (elements < 0) {
            throw error("storage '" + key + "' declares " + elements + " elements");
        }
        Storage storage = new Storage(key, type.name(), STORAGE_TYPES.get(type.name()), elements);
        Storage previous = storages.putIfAbsent(key, storage);
        if (previous != null && !previous.equals(storage)) {
            throw error("storage '" + key + "' is named twice with different types or sizes (" + previous.typeName()
                    + "[" + previous.elements() + "], " + storage.typeName() + "[" + storage.elements() + "])");
        }
        return previous != null ? previous : storage;
    }

    private void putAll(Map<Object, Object> dict, List<Object> keysAndValues) {
        if (keysAndValues.size() % 2 != 0) {
            throw error("a dict is built from an odd number of items");
        }
        for (int i = 0; i < keysAndValues.size(); i += 2) {
            Object key = keysAndValues.get(i);
            // Only scalar keys: hashing a container that contains itself (possible through the memo) never ends.
            if (!(key instanceof String || key instanceof Long || key instanceof Boolean || key instanceof Double
                    || key instanceof None)) {
                throw error("dict key " + describe(key) + " is not a string or number");
            }
            dict.put(key, keysAndValues.get(i + 1));
        }
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dictOnTop() {
        if (!(peek() instanceof Map<?, ?> map)) {
            throw error("SETITEM on " + describe(peek()) + ", not a dict");
        }
        return (Map<Object, Object>) map;
    }

    @SuppressWarnings("unchecked")
    private List<Object> listOnTop() {
        if (!(peek() instanceof ArrayList<?> list)) {
            throw error("APPEND on " + describe(peek()) + ", not a list");
        }
        return (List<Object>) list;
    }

    private Tuple tuple(int n) {
        if (stack.size() - lastMark() < n) {
            throw error("TUPLE" + n + " needs " + n + " values on the stack");
        }
        List<Object> items = new ArrayList<>(stack.subList(stack.size() - n, stack.size()));
        stack.subList(stack.size() - n, stack.size()).clear();
        return new Tuple(List.copyOf(items));
    }

    private Object memoGet(long index) {
        Object value = memo.get(index);
        if (value == null) {
            throw error("memo entry " + index + " is read before it is written");
        }
        return value;
    }

    private long long1() {
        int n = u8();
        if (n > 8) {
            throw error("integer of " + n + " bytes; a state dict's integers fit in 8");
        }
        long at = take(n);
        long value = 0;
        for (int i = n - 1; i >= 0; i--) {
            value = (value << 8) | (data.get(ValueLayout.JAVA_BYTE, at + i) & 0xFF);
        }
        // two's complement over n bytes
        return n == 0 || n == 8 ? value : (value << (64 - 8 * n)) >> (64 - 8 * n);
    }

    private String string(long length) {
        long at = take(length);
        return new String(data.asSlice(at, length).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
    }

    /** GLOBAL's newline-terminated module or name, at most {@value #MAX_GLOBAL_LINE} bytes. */
    private String line() {
        long start = pos;
        long limit = Math.min(data.byteSize(), start + MAX_GLOBAL_LINE);
        for (long at = start; at < limit; at++) {
            if (data.get(ValueLayout.JAVA_BYTE, at) == '\n') {
                pos = at + 1;
                return new String(data.asSlice(start, at - start).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
            }
        }
        throw error("GLOBAL at byte " + (start - 1) + " has no newline-terminated name within " + MAX_GLOBAL_LINE + " bytes");
    }

    private int u8() {
        return data.get(ValueLayout.JAVA_BYTE, take(1)) & 0xFF;
    }

    private void skip(long n) {
        take(n);
    }

    /** Claims the next {@code n} bytes and returns where they start; a length past the end is an error, not a read. */
    private long take(long n) {
        if (n < 0 || n > data.byteSize() - pos) {
            throw error("truncated pickle: " + (n < 0 ? "negative length " + n : n + " bytes needed at byte " + pos
                    + ", " + (data.byteSize() - pos) + " left"));
        }
        long at = pos;
        pos += n;
        return at;
    }

    private void push(Object value) {
        stack.add(value);
    }

    private Object pop() {
        if (stack.isEmpty() || stack.getLast() == MARK) {
            throw error("stack underflow at byte " + (pos - 1));
        }
        return stack.removeLast();
    }

    private Object peek() {
        if (stack.isEmpty() || stack.getLast() == MARK) {
            throw error("stack underflow at byte " + (pos - 1));
        }
        return stack.getLast();
    }

    private int lastMark() {
        return marks.isEmpty() ? 0 : marks.getLast() + 1;
    }

    private List<Object> popMark() {
        if (marks.isEmpty()) {
            throw error("no MARK to pop to at byte " + (pos - 1));
        }
        int mark = marks.removeLast();
        List<Object> items = new ArrayList<>(stack.subList(mark + 1, stack.size()));
        stack.subList(mark, stack.size()).clear();
        return items;
    }

    private CheckpointFormatException error(String problem) {
        // One line, whatever bytes the pickle put in a name.
        return new CheckpointFormatException(where, printable(problem));
    }

    /** {@code s} with control characters replaced, so that an error stays one line. */
    static String printable(String s) {
        return s.replaceAll("\\p{Cntrl}", "?");
    }

    /** A value's kind for messages; never its contents, which may be huge or contain themselves. */
    private static String describe(Object o) {
        return switch (o) {
            case null -> "nothing";
            case None n -> "None";
            case String s -> s.length() <= 40 ? "'" + printable(s) + "'" : "a string";
            case Long l -> "the integer " + l;
            case Boolean b -> b.toString();
            case Double d -> "the float " + d;
            case Global g -> "the global " + g.qualified();
            case Tuple t -> "a tuple of " + t.items().size();
            case Map<?, ?> m -> "a dict";
            case List<?> l -> "a list";
            case Storage s -> "a storage";
            case TensorView v -> "a tensor";
            default -> o == MARK ? "a MARK" : o.getClass().getSimpleName();
        };
    }
}
