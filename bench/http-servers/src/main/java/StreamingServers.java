import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One HTTP server library (helidon or javalin) answering POST /chat with 32 chunk events and [DONE], each written and
 * flushed on its own as mod4j serve writes tokens; 16 loopback clients send a warm-up round then the timed requests.
 * Prints start-up time, requests/s, latency p50/p99 and heap after GC.
 */
public final class StreamingServers {
    static final int CLIENTS = 16;
    static final byte[] EVENT = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"tok\"}}]}\n\n"
            .getBytes(StandardCharsets.UTF_8);
    static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8);

    static void stream(InputStream body, OutputStream out) throws IOException {
        body.readAllBytes();
        for (int i = 0; i < 32; i++) {
            out.write(EVENT);
            out.flush();
        }
        out.write(DONE);
        out.flush();
    }

    public static void main(String[] args) throws Exception {
        long start = System.nanoTime();
        Server server = args[0].equals("helidon") ? HelidonServer.start() : JavalinServer.start();
        long ready = System.nanoTime();
        int requests = Integer.parseInt(args[1]);
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        URI uri = URI.create("http://127.0.0.1:" + server.port() + "/chat");
        round(client, uri, requests / 4);
        long timed = System.nanoTime();
        List<Long> latencies = round(client, uri, requests);
        double seconds = (System.nanoTime() - timed) / 1e9;
        Collections.sort(latencies);
        System.gc();
        long heap = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
        System.out.printf("%s: start %.0f ms, %d streams of 33 events, %d clients: %.0f requests/s, p50 %.1f ms,"
                        + " p99 %.1f ms, heap after GC %.1f MiB%n", args[0], (ready - start) / 1e6, requests, CLIENTS,
                requests / seconds, latencies.get(latencies.size() / 2) / 1e6,
                latencies.get((int) (latencies.size() * 0.99)) / 1e6, heap / 1048576.0);
        server.stop().run();
        System.exit(0);
    }

    static List<Long> round(HttpClient client, URI uri, int requests) throws Exception {
        AtomicInteger next = new AtomicInteger();
        ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
        List<Future<?>> clients = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            clients.add(pool.submit(() -> {
                for (int i = next.getAndIncrement(); i < requests; i = next.getAndIncrement()) {
                    long t = System.nanoTime();
                    HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri)
                            .POST(HttpRequest.BodyPublishers.ofString("{\"messages\":[]}")).build(),
                            HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() != 200 || !r.body().endsWith("[DONE]\n\n")) {
                        throw new IllegalStateException("HTTP " + r.statusCode() + ": " + r.body());
                    }
                    latencies.add(System.nanoTime() - t);
                }
                return null;
            }));
        }
        for (Future<?> f : clients) {
            f.get();
        }
        pool.shutdown();
        return new ArrayList<>(latencies);
    }

    record Server(int port, Runnable stop) {
    }
}

/** Helidon SE: a virtual thread per request; TCP_NODELAY as mod4j serve sets it (-Dnodelay=false: Helidon's default). */
final class HelidonServer {
    static StreamingServers.Server start() {
        boolean noDelay = !"false".equals(System.getProperty("nodelay"));
        var server = io.helidon.webserver.WebServer.builder().host("127.0.0.1").port(0).shutdownHook(false)
                .connectionOptions(o -> o.tcpNoDelay(noDelay))
                .routing(r -> r.post("/chat", (req, res) -> {
                    res.header(io.helidon.http.HeaderNames.CONTENT_TYPE, "text/event-stream");
                    try (OutputStream out = res.outputStream()) {
                        StreamingServers.stream(req.content().inputStream(), out);
                    }
                })).build().start();
        return new StreamingServers.Server(server.port(), server::stop);
    }
}

/** Javalin on Jetty 12 with virtual threads; in a class of its own so the Helidon run needs no servlet classes. */
final class JavalinServer {
    static StreamingServers.Server start() {
        var app = io.javalin.Javalin.create(c -> {
            c.jetty.host = "127.0.0.1";
            c.jetty.port = 0;
            c.startup.showJavalinBanner = false;
            c.concurrency.useVirtualThreads = true;
            c.routes.post("/chat", ctx -> {
                ctx.contentType("text/event-stream");
                StreamingServers.stream(ctx.req().getInputStream(), ctx.res().getOutputStream());
            });
        }).start();
        return new StreamingServers.Server(app.port(), app::stop);
    }
}
