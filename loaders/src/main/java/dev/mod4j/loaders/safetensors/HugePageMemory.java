package dev.mod4j.loaders.safetensors;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Locale;

/**
 * Off-heap memory for weights copied into RAM ({@link LoadMode#COPY}), backed by transparent huge pages where the
 * OS offers them. Decode streams every weight once per token; with 4 KiB pages that is a TLB miss every 4 KiB, and
 * the hardware prefetchers stop at each page boundary. On Linux the memory is an anonymous mapping advised
 * {@code MADV_HUGEPAGE} before it is touched (the default THP mode {@code madvise} gives huge pages only to memory
 * that asks), so it is faulted in as 2 MiB pages. Elsewhere, or if a call fails, it is ordinary
 * {@link Arena#allocate} memory. The memory is unmapped when the arena closes.
 */
public final class HugePageMemory {
    private static final long HUGE_PAGE = 2L << 20;
    private static final int PROT_READ_WRITE = 0x1 | 0x2;
    private static final int MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20;
    private static final int MADV_HUGEPAGE = 14;
    private static final MethodHandle MMAP;
    private static final MethodHandle MADVISE;
    private static final MethodHandle MUNMAP;

    static {
        MethodHandle mmap = null;
        MethodHandle madvise = null;
        MethodHandle munmap = null;
        if (System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
            try {
                Linker linker = Linker.nativeLinker();
                SymbolLookup libc = linker.defaultLookup();
                mmap = linker.downcallHandle(libc.find("mmap").orElseThrow(), FunctionDescriptor.of(ValueLayout.ADDRESS,
                        ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                        ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
                madvise = linker.downcallHandle(libc.find("madvise").orElseThrow(), FunctionDescriptor.of(
                        ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
                munmap = linker.downcallHandle(libc.find("munmap").orElseThrow(), FunctionDescriptor.of(
                        ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
            } catch (RuntimeException | LinkageError unavailable) {
                // No native access (e.g. --enable-native-access not granted): plain arena memory below.
                mmap = null;
            }
        }
        MMAP = mmap;
        MADVISE = madvise;
        MUNMAP = munmap;
    }

    private HugePageMemory() {
    }

    /** {@code size} zeroed bytes that live until {@code arena} closes; huge-page backed where possible. */
    public static MemorySegment allocate(Arena arena, long size) {
        if (MMAP == null || size < HUGE_PAGE) {
            return arena.allocate(size, 64);
        }
        long length = (size + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
        try {
            // Map one huge page more than needed so that the part handed out can start on a 2 MiB boundary.
            MemorySegment raw = (MemorySegment) MMAP.invokeExact(MemorySegment.NULL, length + HUGE_PAGE,
                    PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS, -1, 0L);
            if (raw.address() == -1L) {
                return arena.allocate(size, 64);
            }
            long mappedAt = raw.address();
            long mappedLength = length + HUGE_PAGE;
            long aligned = (mappedAt + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
            // A failed madvise (THP off) only means small pages; the memory is still valid.
            int ignored = (int) MADVISE.invokeExact(MemorySegment.ofAddress(aligned), length, MADV_HUGEPAGE);
            return MemorySegment.ofAddress(aligned).reinterpret(size, arena, segment -> unmap(mappedAt, mappedLength));
        } catch (Throwable e) {
            return arena.allocate(size, 64);
        }
    }

    private static void unmap(long address, long length) {
        try {
            int ignored = (int) MUNMAP.invokeExact(MemorySegment.ofAddress(address), length);
        } catch (Throwable e) {
            throw new IllegalStateException("munmap failed", e);
        }
    }
}
