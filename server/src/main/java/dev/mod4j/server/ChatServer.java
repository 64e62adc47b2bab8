package dev.mod4j.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.tokenizer.Tokenizer;
import dev.mod4j.runtime.generate.PromptFormat;
import dev.mod4j.runtime.llava.MultimodalModel;
import dev.mod4j.runtime.model.Session;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code mod4j serve}: OpenAI's chat-completions protocol over one model, on Helidon SE's web server (a virtual
 * thread per request; generation runs on it, its matrix work on mod4j's CPU pool or the backend's device).
 *
 * <p>Routes: {@code POST /v1/chat/completions} (JSON or server-sent events), {@code GET /v1/models},
 * {@code GET /health} (no key needed), {@code GET /metrics} (Prometheus text). Every error is OpenAI's error object
 * with its status; the server keeps serving after each.
 */
public final class ChatServer implements AutoCloseable {
    /** Helidon logs its start and stop through JUL; the CLI prints its own line. Held so the level sticks. */
    private static final Logger HELIDON_LOG = Logger.getLogger("io.helidon");
    private static final System.Logger LOG = System.getLogger(ChatServer.class.getName());

    private final ServerSettings settings;
    private final SessionPool pool;
    private final CompletionEngine engine;
    private final ServerMetrics metrics;
    private final ApiKeyCheck apiKey;
    private final long created = System.currentTimeMillis() / 1000;
    private final AtomicLong requestIds = new AtomicLong();
    /** Recent request duration (exponential average), for Retry-After. */
    private final AtomicLong recentRequestMillis = new AtomicLong(1000);
    private volatile boolean draining;
    private volatile boolean cancelAll;
    private WebServer server;

    private ChatServer(MultimodalModel model, Tokenizer tokenizer, PromptFormat format, ServerSettings settings) {
        this.settings = settings;
        this.pool = new SessionPool(model.decoder(), settings.parallel(), settings.queueLimit(),
                settings.contextTokens());
        this.engine = new CompletionEngine(model, tokenizer, format, settings);
        this.metrics = new ServerMetrics(pool);
        this.apiKey = settings.apiKey() == null ? null : new ApiKeyCheck(settings.apiKey());
    }

    /**
     * Allocates the sessions (refusing a plan that does not fit the heap, with the numbers) and starts listening.
     *
     * @param tokenizer the model's tokenizer (required: answers are text)
     */
    public static ChatServer start(MultimodalModel model, Tokenizer tokenizer, PromptFormat format,
                                   ServerSettings settings) {
        if (tokenizer == null) {
            throw new InvalidInputException("--model", "has no tokenizer.json (nor tokenizer.model); the server"
                    + " answers in text and needs one");
        }
        int context = model.decoder().config().maxPositionEmbeddings();
        if (settings.contextTokens() < 2 || settings.contextTokens() > context) {
            throw new InvalidInputException("--context", "must be between 2 and the model's context of " + context
                    + ", got " + settings.contextTokens());
        }
        HELIDON_LOG.setLevel(Level.WARNING);
        ChatServer chat = new ChatServer(model, tokenizer, format, settings);
        chat.server = WebServer.builder()
                .host(settings.host())
                .port(settings.port())
                .shutdownHook(false)
                // One small write per token: without TCP_NODELAY, Nagle and delayed ACKs hold each event back
                // (a 33-event stream took 47 ms instead of 15 ms at the median in the README's measurement).
                .connectionOptions(o -> o.tcpNoDelay(true))
                .routing(chat::routes)
                .build()
                .start();
        return chat;
    }

    /** The port the server listens on (the one picked when settings asked for 0). */
    public int port() {
        return server.port();
    }

    public ServerSettings settings() {
        return settings;
    }

    private void routes(HttpRouting.Builder routing) {
        routing.addFilter((chain, req, res) -> {
            if (apiKey == null || req.path().path().equals("/health")
                    || apiKey.accepts(req.headers().first(HeaderNames.AUTHORIZATION).orElse(null))) {
                chain.proceed();
            } else {
                sendError(res, ApiError.unauthorized());
            }
        });
        routing.post("/v1/chat/completions", this::chatCompletions)
                .get("/v1/models", (req, res) -> sendJson(res, 200,
                        OpenAiJson.models(settings.modelId(), created).toString()))
                .get("/health", (req, res) -> sendJson(res, draining ? 503 : 200,
                        "{\"status\":\"" + (draining ? "shutting_down" : "ok") + "\"}"))
                .get("/metrics", (req, res) -> {
                    res.header(HeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
                    res.send(metrics.scrape());
                })
                .any((req, res) -> sendError(res, ApiError.notFound("no route " + req.prologue().method().text()
                        + " " + req.path().path() + " (this server has POST /v1/chat/completions, GET /v1/models,"
                        + " GET /health, GET /metrics)")));
    }

    private void chatCompletions(ServerRequest req, ServerResponse res) {
        long arrival = System.nanoTime();
        long deadline = arrival + settings.requestTimeout().toNanos();
        String outcome;
        try {
            if (draining) {
                throw ApiError.shuttingDown();
            }
            ChatRequest request = ChatRequest.parse(json(body(req)));
            CompletionEngine.Prepared prepared = engine.prepare(request);
            try (SessionPool.Admission admission = pool.admit(retryAfterSeconds())) {
                Session session = admission.session(deadline);
                if (session == null) {
                    throw ApiError.timeout("no session became free within the request timeout of "
                            + settings.requestTimeout().toSeconds() + " s");
                }
                String id = "chatcmpl-mod4j-" + requestIds.incrementAndGet();
                outcome = request.stream() ? stream(res, id, request, prepared, session, deadline)
                        : complete(res, id, prepared, session, deadline);
            }
        } catch (ApiError e) {
            outcome = "http_" + e.status();
            sendError(res, e);
        } catch (InvalidInputException e) {
            outcome = "http_400";
            sendError(res, ApiError.invalidRequest(e.source(), e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            outcome = "http_503";
            sendError(res, ApiError.shuttingDown());
        } catch (RuntimeException | Error e) {
            LOG.log(System.Logger.Level.ERROR, "chat completion failed", e);
            outcome = "http_500";
            sendError(res, ApiError.internal(e));
        }
        long took = System.nanoTime() - arrival;
        recentRequestMillis.getAndUpdate(old -> (old * 7 + took / 1_000_000) / 8);
        metrics.requestFinished(outcome, took);
    }

    private String complete(ServerResponse res, String id, CompletionEngine.Prepared prepared, Session session,
                            long deadline) {
        CompletionEngine.Completion c = engine.run(prepared, session, piece -> {
        }, () -> cancelAll, deadline);
        record(c);
        switch (c.finish()) {
            case TIMEOUT -> throw ApiError.timeout("the answer did not finish within the request timeout of "
                    + settings.requestTimeout().toSeconds() + " s (" + c.completionTokens() + " tokens generated)");
            case CANCELLED -> throw ApiError.shuttingDown();
            default -> {
            }
        }
        sendJson(res, 200, OpenAiJson.completion(id, created, settings.modelId(), c).toString());
        return "ok";
    }

    /** Server-sent events: a role chunk, content chunks as text is decoded, a last chunk with the finish reason,
     * the usage chunk when asked for, then {@code [DONE]}. A failed write means the client left: generation stops. */
    private String stream(ServerResponse res, String id, ChatRequest request, CompletionEngine.Prepared prepared,
                          Session session, long deadline) {
        res.header(HeaderNames.CONTENT_TYPE, "text/event-stream");
        res.header(HeaderNames.CACHE_CONTROL, "no-cache");
        try (EventStream events = new EventStream(res.outputStream())) {
            events.send(OpenAiJson.chunk(id, created, settings.modelId(), "assistant", "", null).toString());
            CompletionEngine.Completion c;
            try {
                c = engine.run(prepared, session, piece -> events.send(
                                OpenAiJson.chunk(id, created, settings.modelId(), null, piece, null).toString()),
                        () -> events.clientGone() || cancelAll, deadline);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "chat completion failed while streaming", e);
                events.send(OpenAiJson.error(e instanceof InvalidInputException bad
                        ? ApiError.invalidRequest(bad.source(), bad.getMessage()) : ApiError.internal(e)).toString());
                return "http_500";
            }
            record(c);
            if (c.finish() == CompletionEngine.Finish.CANCELLED || c.finish() == CompletionEngine.Finish.TIMEOUT) {
                events.send(OpenAiJson.error(c.finish() == CompletionEngine.Finish.TIMEOUT
                        ? ApiError.timeout("the answer did not finish within the request timeout")
                        : ApiError.shuttingDown()).toString());
                return events.clientGone() ? "client_gone" : c.finish() == CompletionEngine.Finish.TIMEOUT
                        ? "http_504" : "http_503";
            }
            var last = OpenAiJson.chunk(id, created, settings.modelId(), null, null, c.finish().openAiName);
            last.set("mod4j", OpenAiJson.stats(c.stats()));
            events.send(last.toString());
            if (request.includeUsage()) {
                events.send(OpenAiJson.usageChunk(id, created, settings.modelId(), c).toString());
            }
            events.send("[DONE]");
            return events.clientGone() ? "client_gone" : "ok";
        }
    }

    private void record(CompletionEngine.Completion c) {
        metrics.generated(c.promptTokens(), c.completionTokens(), (long) (c.stats().prefillMillis() * 1e6),
                c.stats().decodeTokensPerSecond() > 0
                        ? (long) ((c.completionTokens() - 1) / c.stats().decodeTokensPerSecond() * 1e9) : 0);
    }

    private long retryAfterSeconds() {
        long perRequest = recentRequestMillis.get();
        long waves = (pool.waiting() + pool.parallel()) / pool.parallel();
        return Math.max(1, (perRequest * waves + 999) / 1000);
    }

    private byte[] body(ServerRequest req) {
        OptionalLong declared = req.headers().contentLength();
        if (declared.isPresent() && declared.getAsLong() > settings.maxBodyBytes()) {
            throw ApiError.payloadTooLarge(settings.maxBodyBytes());
        }
        try (InputStream in = req.content().inputStream()) {
            byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, settings.maxBodyBytes() + 1));
            if (bytes.length > settings.maxBodyBytes()) {
                throw ApiError.payloadTooLarge(settings.maxBodyBytes());
            }
            return bytes;
        } catch (IOException e) {
            throw ApiError.invalidRequest(null, "the request body could not be read: " + e.getMessage());
        }
    }

    private static JsonNode json(byte[] body) {
        if (body.length == 0) {
            throw ApiError.invalidRequest(null, "the request body is empty; send a JSON object");
        }
        try {
            return OpenAiJson.MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            throw ApiError.invalidRequest(null, "malformed JSON: " + e.getOriginalMessage() + " (line "
                    + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")");
        } catch (IOException e) {
            throw ApiError.invalidRequest(null, "malformed JSON: " + e.getMessage());
        }
    }

    private static void sendError(ServerResponse res, ApiError e) {
        if (res.isSent()) {
            return;
        }
        if (e.retryAfterSeconds() > 0) {
            res.header(HeaderNames.RETRY_AFTER, Long.toString(e.retryAfterSeconds()));
        }
        sendJson(res, e.status(), OpenAiJson.error(e).toString());
    }

    private static void sendJson(ServerResponse res, int status, String json) {
        res.status(status);
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /**
     * Graceful stop: new requests get 503 at once, running ones may finish within {@code grace}; those still running
     * then are cancelled (their sessions return to the pool), and the server stops listening.
     */
    public void shutdown(Duration grace) {
        draining = true;
        long until = System.nanoTime() + grace.toNanos();
        waitForIdle(until);
        if (pool.admitted() > 0) {
            cancelAll = true;
            waitForIdle(System.nanoTime() + Duration.ofSeconds(5).toNanos());
        }
        server.stop();
    }

    private void waitForIdle(long untilNanos) {
        while (pool.admitted() > 0 && System.nanoTime() < untilNanos) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * Blocks until the JVM is asked to stop (SIGTERM, SIGINT), then shuts down gracefully within the settings' grace
     * period, runs {@code onStopped} and ends the process with status 0: a stop on request is a success.
     */
    public void awaitTermination(Runnable onStopped) throws InterruptedException {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            shutdown(settings.shutdownGrace());
            onStopped.run();
            // The JVM would report a signal's 128+n; halt is the only way to exit 0 from a shutdown hook.
            Runtime.getRuntime().halt(0);
        }, "mod4j-serve-shutdown"));
        new java.util.concurrent.CountDownLatch(1).await();
    }

    @Override
    public void close() {
        if (server != null && server.isRunning()) {
            shutdown(Duration.ZERO);
        }
    }
}
