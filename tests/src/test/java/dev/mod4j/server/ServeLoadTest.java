package dev.mod4j.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A bounded load test on loopback: 16 concurrent streaming clients send a fixed number of requests (text and image,
 * four schedules) to a server with 2 sessions. Every answer equals the one the same server gave sequentially, none
 * fails; against one session without a queue, the surplus gets 429 with Retry-After and succeeds on retry; the
 * heap after a full GC does not grow over the run. Prints requests/s, latency percentiles and memory.
 *
 * <p>{@code -Dmod4j.serve.load.requests=500} runs the longer version quoted in the README (default: 64 per phase,
 * a few seconds).
 */
class ServeLoadTest {
    static final int CLIENTS = 16;
    static final String[] SCHEDULES = {"dense", "pdrop:layers=1,2;ratios=0.5,0.25", "fastv:k=2;r=0.5", "pmod"};
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    /** Request {@code i}: a schedule and, every other time, the picture; a few tokens each. */
    static ObjectNode request(int i) {
        boolean image = i % 2 == 0;
        ObjectNode req = ServeFixture.withSchedule(ServeFixture.request(image ? ServeFixture.QUESTION
                : "Question number " + (i % 3), image, 6), SCHEDULES[i % SCHEDULES.length]);
        req.put("stream", true);
        return req;
    }

    static int kinds() {
        return 2 * 3 * SCHEDULES.length; // the request pattern repeats after lcm(2, 3, 4) = 12; 24 is safely above
    }

    record Outcome(int index, String text, long latencyNanos, int refusals) {
    }

    static Outcome send(ChatServer server, int index) throws Exception {
        long start = System.nanoTime();
        int refusals = 0;
        while (true) {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(ServeFixture.uri(server, "/v1/chat/completions"))
                    .timeout(Duration.ofMinutes(5)).POST(HttpRequest.BodyPublishers.ofString(request(index).toString()))
                    .build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 429) {
                long retryAfter = Long.parseLong(r.headers().firstValue("retry-after").orElseThrow(
                        () -> new AssertionError("429 without Retry-After")));
                assertTrue(retryAfter >= 1);
                assertEquals("queue_full", ServeFixture.JSON.readTree(r.body()).get("error").get("code").asText());
                refusals++;
                // a real client waits Retry-After seconds; the test retries sooner to stay short
                Thread.sleep(20);
                continue;
            }
            assertEquals(200, r.statusCode(), r.body());
            ServeFixture.Streamed s = ServeFixture.streamed(r.body());
            assertTrue(s.done());
            return new Outcome(index, s.text(), System.nanoTime() - start, refusals);
        }
    }

    @Test
    void sixteenStreamingClientsGetTheSequentialAnswersWithFlatMemory() throws Exception {
        int requests = Integer.getInteger("mod4j.serve.load.requests", 64);
        try (ChatServer server = ServeFixture.start(ServeFixture.settings().withParallel(2, CLIENTS))) {
            List<String> sequential = new ArrayList<>();
            for (int i = 0; i < kinds(); i++) {
                sequential.add(send(server, i).text());
            }
            run(server, 2 * CLIENTS, sequential); // warm-up: JIT, connection and buffer pools, metric series
            long heapBefore = heapAfterGc();
            long rssBefore = residentBytes();
            Phase within = run(server, requests, sequential);
            long heapAfter = heapAfterGc();
            long rssAfter = residentBytes();
            assertEquals(0, within.refusals(), "a queue as long as the clients refuses none");
            System.out.printf("mod4j serve load test: %d streaming clients, %d requests, 2 sessions, queue %d%n",
                    CLIENTS, requests, CLIENTS);
            within.print();
            System.out.printf("  heap after GC %.1f -> %.1f MiB, resident %.1f -> %.1f MiB%n", heapBefore / 1048576.0,
                    heapAfter / 1048576.0, rssBefore / 1048576.0, rssAfter / 1048576.0);
            assertTrue(heapAfter - heapBefore < 32L << 20, "heap after GC grew by " + (heapAfter - heapBefore)
                    + " bytes over " + requests + " requests");
        }
        try (ChatServer small = ServeFixture.start(ServeFixture.settings().withParallel(1, 0))) {
            List<String> sequential = new ArrayList<>();
            for (int i = 0; i < kinds(); i++) {
                sequential.add(send(small, i).text());
            }
            Phase over = run(small, Math.max(CLIENTS * 2, requests / 4), sequential);
            System.out.printf("over capacity (1 session, no queue): %d refusals (429 with Retry-After), all"
                    + " answered on retry%n", over.refusals());
            over.print();
            assertTrue(over.refusals() > 0, "16 clients against 1 session and no queue see 429s");
        }
    }

    record Phase(int requests, long nanos, List<Long> latencies, int refusals) {
        void print() {
            List<Long> sorted = new ArrayList<>(latencies);
            Collections.sort(sorted);
            System.out.printf("  %.1f requests/s; latency p50 %.0f ms, p99 %.0f ms, max %.0f ms%n",
                    requests / (nanos / 1e9), percentile(sorted, 0.50) / 1e6, percentile(sorted, 0.99) / 1e6,
                    sorted.getLast() / 1e6);
        }

        static double percentile(List<Long> sorted, double p) {
            return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1));
        }
    }

    static Phase run(ChatServer server, int requests, List<String> sequential) throws Exception {
        AtomicInteger next = new AtomicInteger();
        ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        long start = System.nanoTime();
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                running.add(clients.submit(() -> {
                    for (int i = next.getAndIncrement(); i < requests; i = next.getAndIncrement()) {
                        outcomes.add(send(server, i));
                    }
                    return null;
                }));
            }
            for (Future<?> f : running) {
                f.get();
            }
        } finally {
            clients.shutdownNow();
        }
        long nanos = System.nanoTime() - start;
        assertEquals(requests, outcomes.size());
        for (Outcome o : outcomes) {
            assertEquals(sequential.get(o.index() % kinds()), o.text(), "request " + o.index() + " vs sequential");
        }
        return new Phase(requests, nanos, outcomes.stream().map(Outcome::latencyNanos).toList(),
                outcomes.stream().mapToInt(Outcome::refusals).sum());
    }

    static long heapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** The process's resident set (Linux /proc; 0 elsewhere): native memory included. */
    static long residentBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                }
            }
        } catch (java.io.IOException e) {
            return 0;
        }
        return 0;
    }
}
