package dev.mod4j.server;

import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.runtime.backend.LayerKvCache;
import dev.mod4j.runtime.model.LlamaModel;
import dev.mod4j.runtime.model.Session;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The server's sessions, allocated once at start-up (KV caches and run state for the whole context each), and the
 * admission in front of them: at most {@code parallel} requests run and {@code queueLimit} wait; one more is refused
 * at once (429) rather than queued without bound.
 */
final class SessionPool {
    private final List<Session> all;
    private final BlockingQueue<Session> free;
    private final int parallel;
    private final int queueLimit;
    private final AtomicInteger admitted = new AtomicInteger();
    private final long sessionBytes;

    SessionPool(LlamaModel decoder, int parallel, int queueLimit, int contextTokens) {
        this.parallel = parallel;
        this.queueLimit = queueLimit;
        this.sessionBytes = sessionBytes(decoder, contextTokens);
        requireMemory(parallel, contextTokens, sessionBytes);
        this.all = new ArrayList<>(parallel);
        this.free = new ArrayBlockingQueue<>(parallel);
        for (int i = 0; i < parallel; i++) {
            Session session = decoder.newSession(contextTokens);
            all.add(session);
            free.add(session);
        }
    }

    /** Heap one session takes: its KV caches for the whole context and the backend's hidden-state buffers. */
    static long sessionBytes(LlamaModel decoder, int contextTokens) {
        return LayerKvCache.heapBytes(decoder.config(), contextTokens) + decoder.backend().streamHeapBytes(contextTokens);
    }

    /** The plan: {@code parallel} sessions of {@code sessionBytes} each must fit the free heap, or start-up stops. */
    static void requireMemory(int parallel, int contextTokens, long sessionBytes) {
        Runtime rt = Runtime.getRuntime();
        long free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        long needed = parallel * sessionBytes;
        if (needed > free) {
            double gib = 1L << 30;
            throw new InvalidInputException("--parallel", String.format("%d sessions of %d tokens need %.2f GiB"
                            + " (%.3f GiB each: KV cache and buffers), but only %.2f GiB of heap is free; use fewer"
                            + " sessions (--parallel), a shorter --context, or a larger heap (MOD4J_JAVA_OPTS=-Xmx%dg)",
                    parallel, contextTokens, needed / gib, sessionBytes / gib, free / gib,
                    (long) Math.ceil((rt.maxMemory() + needed - free) / gib) + 1));
        }
    }

    /** A place among the running or waiting requests, or 429 when all are taken. */
    Admission admit(long retryAfterSeconds) {
        while (true) {
            int now = admitted.get();
            if (now >= parallel + queueLimit) {
                throw ApiError.queueFull(Math.min(now, parallel), Math.max(0, now - parallel), retryAfterSeconds);
            }
            if (admitted.compareAndSet(now, now + 1)) {
                return new Admission();
            }
        }
    }

    /** Requests waiting for a session. */
    int waiting() {
        return Math.max(0, admitted.get() - (parallel - free.size()));
    }

    /** Requests holding a session. */
    int running() {
        return parallel - free.size();
    }

    int admitted() {
        return admitted.get();
    }

    int parallel() {
        return parallel;
    }

    long sessionBytes() {
        return sessionBytes;
    }

    /** KV-cache bytes the sessions hold now (a snapshot; sessions change it as they run). */
    long kvCacheBytesInUse() {
        long sum = 0;
        for (Session s : all) {
            sum += s.kvCacheBytes();
        }
        return sum;
    }

    /** One admitted request: waits for a session, gives it back (reset) and leaves on close. */
    final class Admission implements AutoCloseable {
        private Session session;
        private boolean closed;

        /** The session, waiting at most until {@code deadlineNanos} (System.nanoTime); null when that passed. */
        Session session(long deadlineNanos) throws InterruptedException {
            session = free.poll(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
            return session;
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            if (session != null) {
                session.reset();
                free.add(session);
            }
            admitted.decrementAndGet();
        }
    }
}
