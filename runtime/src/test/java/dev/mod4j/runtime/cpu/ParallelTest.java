package dev.mod4j.runtime.cpu;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ParallelTest {

    @Test
    void runsEveryItemExactlyOnce() {
        for (int threads : new int[] {1, 2, 3, 8}) {
            try (Parallel parallel = new Parallel(threads)) {
                for (int n = 0; n < 200; n++) {
                    AtomicIntegerArray counts = new AtomicIntegerArray(n);
                    parallel.forEach(n, counts::incrementAndGet);
                    for (int i = 0; i < n; i++) {
                        assertEquals(1, counts.get(i), "threads=" + threads + " n=" + n + " item " + i);
                    }
                }
            }
        }
    }

    @Test
    void rethrowsAFailureAfterTheOtherItemsRan() {
        try (Parallel parallel = new Parallel(2)) {
            AtomicInteger ran = new AtomicInteger();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> parallel.forEach(50, i -> {
                ran.incrementAndGet();
                if (i == 7) {
                    throw new IllegalStateException("item 7");
                }
            }));
            assertEquals("item 7", e.getMessage());
            assertEquals(50, ran.get());
            // The pool still works afterwards.
            AtomicInteger after = new AtomicInteger();
            parallel.forEach(10, i -> after.incrementAndGet());
            assertEquals(10, after.get());
        }
    }

    @Test
    void nestedCallsRunInline() {
        try (Parallel parallel = new Parallel(2)) {
            AtomicInteger inner = new AtomicInteger();
            parallel.forEach(8, i -> parallel.forEach(5, j -> inner.incrementAndGet()));
            assertEquals(40, inner.get());
        }
    }

    @Test
    void commonPoolCanBeResized() {
        int before = Parallel.common().threads();
        try {
            Parallel.setCommonThreads(3);
            assertEquals(3, Parallel.common().threads());
            Parallel same = Parallel.common();
            Parallel.setCommonThreads(3);
            assertSame(same, Parallel.common());
        } finally {
            Parallel.setCommonThreads(before);
        }
    }

    @Test
    void theThreadsPropertySetsTheDefault() {
        String before = System.getProperty(Parallel.THREADS_PROPERTY);
        try {
            System.setProperty(Parallel.THREADS_PROPERTY, "3");
            assertEquals(3, Parallel.defaultThreads());
            System.setProperty(Parallel.THREADS_PROPERTY, "zero");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, Parallel::defaultThreads);
            assertTrue(e.getMessage().contains(Parallel.THREADS_PROPERTY), e.getMessage());
            System.setProperty(Parallel.THREADS_PROPERTY, Integer.toString(Parallel.maxThreads() + 1));
            e = assertThrows(IllegalArgumentException.class, Parallel::defaultThreads);
            assertTrue(e.getMessage().contains("1.." + Parallel.maxThreads()), e.getMessage());
            System.setProperty(Parallel.THREADS_PROPERTY, Integer.toString(Parallel.maxThreads()));
            assertEquals(Parallel.maxThreads(), Parallel.defaultThreads());
            System.clearProperty(Parallel.THREADS_PROPERTY);
            assertEquals(Runtime.getRuntime().availableProcessors(), Parallel.defaultThreads());
        } finally {
            if (before == null) {
                System.clearProperty(Parallel.THREADS_PROPERTY);
            } else {
                System.setProperty(Parallel.THREADS_PROPERTY, before);
            }
        }
    }

    @Test
    void rejectsNonPositiveThreadCounts() {
        assertThrows(IllegalArgumentException.class, () -> new Parallel(0));
    }
}
