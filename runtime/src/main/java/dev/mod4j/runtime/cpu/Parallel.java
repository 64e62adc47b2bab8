package dev.mod4j.runtime.cpu;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;

/**
 * Runs {@code n} independent work items on a fixed set of threads: the calling thread plus
 * {@code threads - 1} daemon workers started once.
 *
 * <p>Kernels call this about ten times per decoder layer per token, so a call must cost microseconds, not
 * tens of them: a call allocates one small job object, workers pick items off a shared counter, and
 * between calls they spin for a short while (the next matmul usually follows within microseconds) before
 * parking. A ForkJoinPool wakes its workers per call instead, which measured slower (see MatmulBenchmark).
 *
 * <p>Items are claimed dynamically, so which thread runs an item varies from call to call; callers that want
 * results independent of the thread count must make each item's arithmetic independent of the others.
 *
 * <p>A call made while another is running on the same pool (from another thread, or from inside a work item)
 * runs its items on the calling thread alone rather than waiting.
 */
public final class Parallel implements AutoCloseable {

    /** System property that sets the number of threads of {@link #common()} (default: available processors). */
    public static final String THREADS_PROPERTY = "mod4j.threads";

    /** How long an idle worker spins for the next job before parking. */
    private static final long SPIN_NANOS = 200_000;

    private static volatile Parallel common;

    private final int threads;
    private final Thread[] workers;
    private final ReentrantLock callLock = new ReentrantLock();
    private volatile Job current;
    private volatile boolean closed;

    /** A pool running items on the calling thread and {@code threads - 1} workers. */
    public Parallel(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            Thread worker = new Thread(this::workLoop, "mod4j-parallel-" + (i + 1));
            worker.setDaemon(true);
            workers[i] = worker;
            worker.start();
        }
    }

    /** The shared pool, sized by {@value #THREADS_PROPERTY} or else the number of available processors. */
    public static Parallel common() {
        Parallel pool = common;
        if (pool == null) {
            synchronized (Parallel.class) {
                pool = common;
                if (pool == null) {
                    pool = new Parallel(defaultThreads());
                    common = pool;
                }
            }
        }
        return pool;
    }

    /** Replaces the shared pool by one with {@code threads} threads; the old one is closed. */
    public static void setCommonThreads(int threads) {
        Parallel old;
        synchronized (Parallel.class) {
            old = common;
            if (old != null && old.threads == threads) {
                return;
            }
            common = new Parallel(threads);
        }
        if (old != null) {
            old.close();
        }
    }

    static int defaultThreads() {
        String property = System.getProperty(THREADS_PROPERTY);
        if (property != null && !property.isBlank()) {
            try {
                int threads = Integer.parseInt(property.strip());
                if (threads >= 1 && threads <= maxThreads()) {
                    return threads;
                }
            } catch (NumberFormatException ignored) {
                // fall through to the message below
            }
            // Bounded as the CLI's --threads is: thousands of spinning workers would run for minutes.
            throw new IllegalArgumentException("system property " + THREADS_PROPERTY + " must be an integer in 1.."
                    + maxThreads() + " (4 × the available processors), got '" + property + "'");
        }
        return Runtime.getRuntime().availableProcessors();
    }

    /** The most threads a pool sized by {@value #THREADS_PROPERTY} may have: 4 × the available processors. */
    public static int maxThreads() {
        return 4 * Runtime.getRuntime().availableProcessors();
    }

    public int threads() {
        return threads;
    }

    /** Whether this pool's worker threads may read {@code segment} (false for another thread's confined arena). */
    public boolean workersCanAccess(MemorySegment segment) {
        return workers.length == 0 || segment.isAccessibleBy(workers[0]);
    }

    /** Runs {@code work.accept(i)} for every i in [0, n) and returns when all are done. */
    public void forEach(int n, IntConsumer work) {
        if (n <= 0) {
            return;
        }
        if (n == 1 || workers.length == 0 || closed || callLock.isHeldByCurrentThread() || !callLock.tryLock()) {
            for (int i = 0; i < n; i++) {
                work.accept(i);
            }
            return;
        }
        try {
            Job job = new Job(n, work);
            current = job;
            for (Thread worker : workers) {
                LockSupport.unpark(worker);
            }
            job.runItems();
            job.awaitDone();
            job.rethrowFailure();
        } finally {
            callLock.unlock();
        }
    }

    private void workLoop() {
        Job last = null;
        while (!closed) {
            Job job = current;
            if (job == last) {
                long spinUntil = System.nanoTime() + SPIN_NANOS;
                while ((job = current) == last && !closed && System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                }
                while ((job = current) == last && !closed) {
                    LockSupport.park(this);
                }
                if (job == last) {
                    continue;
                }
            }
            last = job;
            job.runItems();
        }
    }

    /** Stops the workers (after the running call, if any); later calls run on the calling thread. */
    @Override
    public void close() {
        closed = true;
        for (Thread worker : workers) {
            LockSupport.unpark(worker);
        }
    }

    /** One call's items: a claim counter, a done counter and the first failure. */
    private static final class Job {
        private final int n;
        private final IntConsumer work;
        private final AtomicInteger nextItem = new AtomicInteger();
        private final AtomicInteger doneItems = new AtomicInteger();
        private volatile Throwable failure;

        Job(int n, IntConsumer work) {
            this.n = n;
            this.work = work;
        }

        void runItems() {
            int done = 0;
            try {
                for (int i; (i = nextItem.getAndIncrement()) < n; ) {
                    try {
                        work.accept(i);
                    } catch (Throwable t) {
                        if (failure == null) {
                            failure = t;
                        }
                    }
                    done++;
                }
            } finally {
                if (done > 0) {
                    doneItems.addAndGet(done);
                }
            }
        }

        void awaitDone() {
            int spins = 0;
            while (doneItems.get() < n) {
                if (++spins < 10_000) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield();
                }
            }
        }

        void rethrowFailure() {
            Throwable t = failure;
            if (t instanceof RuntimeException e) {
                throw e;
            }
            if (t instanceof Error e) {
                throw e;
            }
            if (t != null) {
                throw new RuntimeException(t);
            }
        }
    }
}
