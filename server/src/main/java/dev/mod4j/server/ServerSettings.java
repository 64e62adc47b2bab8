package dev.mod4j.server;

import java.nio.file.Path;
import java.time.Duration;

/**
 * How {@code mod4j serve} runs.
 *
 * @param host               the address to bind (127.0.0.1 unless exposed on purpose)
 * @param port               0 picks a free port
 * @param modelId            the name /v1/models lists and responses carry
 * @param parallel           sessions, each with a KV cache for {@code contextTokens}, allocated at start-up
 * @param queueLimit         requests that may wait for a session; beyond it, 429
 * @param contextTokens      tokens per session (prompt incl. image rows + answer); at most the model's context
 * @param defaultSchedule    the schedule spec of requests without {@code mod4j.schedule}
 * @param defaultMaxTokens   answer budget of requests without max_tokens (the context bounds it further)
 * @param requestTimeout     from arrival to the last token, queueing included
 * @param apiKey             null: no key; else {@code Authorization: Bearer KEY} on every route but /health
 * @param maxBodyBytes       the largest request body
 * @param maxImageBytes      the largest encoded image (data URL, file or download)
 * @param remoteImages       whether http(s) image URLs are fetched
 * @param remoteImageTimeout how long one download may take
 * @param imageDirectory     file: URLs are read only under it (null: file: URLs refused)
 * @param shutdownGrace      how long SIGTERM waits for running requests
 */
public record ServerSettings(String host, int port, String modelId, int parallel, int queueLimit, int contextTokens,
                             String defaultSchedule, int defaultMaxTokens, Duration requestTimeout, String apiKey,
                             long maxBodyBytes, long maxImageBytes, boolean remoteImages, Duration remoteImageTimeout,
                             Path imageDirectory, Duration shutdownGrace) {
    public ServerSettings {
        if (parallel < 1) {
            throw new IllegalArgumentException("parallel must be at least 1, got " + parallel);
        }
        if (queueLimit < 0) {
            throw new IllegalArgumentException("queue limit must be >= 0, got " + queueLimit);
        }
    }

    /** Loopback, a free port, one session, the defaults of {@code mod4j serve}'s options (for tests). */
    public static ServerSettings loopback(String modelId, int contextTokens) {
        return new ServerSettings("127.0.0.1", 0, modelId, 1, 16, contextTokens, "dense", 512, Duration.ofMinutes(10),
                null, 64L << 20, 20L << 20, false, Duration.ofSeconds(10), null, Duration.ofSeconds(30));
    }

    public ServerSettings withParallel(int sessions, int queue) {
        return new ServerSettings(host, port, modelId, sessions, queue, contextTokens, defaultSchedule,
                defaultMaxTokens, requestTimeout, apiKey, maxBodyBytes, maxImageBytes, remoteImages,
                remoteImageTimeout, imageDirectory, shutdownGrace);
    }

    public ServerSettings withApiKey(String key) {
        return new ServerSettings(host, port, modelId, parallel, queueLimit, contextTokens, defaultSchedule,
                defaultMaxTokens, requestTimeout, key, maxBodyBytes, maxImageBytes, remoteImages, remoteImageTimeout,
                imageDirectory, shutdownGrace);
    }

    public ServerSettings withLimits(long bodyBytes, long imageBytes, Duration timeout) {
        return new ServerSettings(host, port, modelId, parallel, queueLimit, contextTokens, defaultSchedule,
                defaultMaxTokens, timeout, apiKey, bodyBytes, imageBytes, remoteImages, remoteImageTimeout,
                imageDirectory, shutdownGrace);
    }

    public ServerSettings withSchedule(String spec) {
        return new ServerSettings(host, port, modelId, parallel, queueLimit, contextTokens, spec, defaultMaxTokens,
                requestTimeout, apiKey, maxBodyBytes, maxImageBytes, remoteImages, remoteImageTimeout, imageDirectory,
                shutdownGrace);
    }

    public ServerSettings withImageDirectory(Path directory) {
        return new ServerSettings(host, port, modelId, parallel, queueLimit, contextTokens, defaultSchedule,
                defaultMaxTokens, requestTimeout, apiKey, maxBodyBytes, maxImageBytes, remoteImages,
                remoteImageTimeout, directory, shutdownGrace);
    }
}
