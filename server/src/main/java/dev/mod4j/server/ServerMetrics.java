package dev.mod4j.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What {@code GET /metrics} shows, in Prometheus text through Micrometer: requests by outcome, running and queued
 * requests, prompt and completion tokens (tokens/s is their {@code rate()}; the last request's decode rate is a
 * gauge too), prefill and decode latency histograms, KV-cache bytes in use and allocated.
 */
final class ServerMetrics {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Counter promptTokens;
    private final Counter completionTokens;
    private final Timer prefill;
    private final Timer decode;
    private final Timer request;
    private final DistributionSummary decodeRate;
    private final AtomicLong lastDecodeMilliTokensPerSecond = new AtomicLong();

    ServerMetrics(SessionPool pool) {
        Gauge.builder("mod4j.queue.depth", pool, SessionPool::waiting)
                .description("Requests waiting for a session").register(registry);
        Gauge.builder("mod4j.requests.running", pool, SessionPool::running)
                .description("Requests holding a session").register(registry);
        Gauge.builder("mod4j.sessions", pool, SessionPool::parallel)
                .description("Sessions in the pool (--parallel)").register(registry);
        Gauge.builder("mod4j.kv.cache.bytes.in.use", pool, SessionPool::kvCacheBytesInUse).baseUnit("bytes")
                .description("KV-cache bytes the running requests hold").register(registry);
        Gauge.builder("mod4j.kv.cache.bytes.allocated", pool, p -> (double) p.parallel() * p.sessionBytes())
                .baseUnit("bytes").description("Heap allocated for all sessions at start-up").register(registry);
        Gauge.builder("mod4j.decode.tokens.per.second", lastDecodeMilliTokensPerSecond, v -> v.get() / 1000.0)
                .description("Decode rate of the last finished request").register(registry);
        promptTokens = Counter.builder("mod4j.prompt.tokens").description("Prompt positions, image rows included")
                .register(registry);
        completionTokens = Counter.builder("mod4j.completion.tokens").description("Generated tokens")
                .register(registry);
        prefill = histogram("mod4j.prefill", "Vision tower, projector and prefill, to the first token");
        decode = histogram("mod4j.decode", "From the first token to the last");
        request = histogram("mod4j.request", "From arrival to the response's end, queueing included");
        decodeRate = DistributionSummary.builder("mod4j.decode.rate").baseUnit("tokens.per.second")
                .description("Decode tokens/s per request").register(registry);
    }

    private Timer histogram(String name, String description) {
        return Timer.builder(name).description(description).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofMinutes(10))
                .register(registry);
    }

    void requestFinished(String outcome, long nanos) {
        registry.counter("mod4j.requests", "outcome", outcome).increment();
        request.record(Duration.ofNanos(nanos));
    }

    void generated(int prompt, int completion, long prefillNanos, long decodeNanos) {
        promptTokens.increment(prompt);
        completionTokens.increment(completion);
        prefill.record(Duration.ofNanos(prefillNanos));
        if (completion > 1) {
            decode.record(Duration.ofNanos(decodeNanos));
            double rate = (completion - 1) / (decodeNanos / 1e9);
            decodeRate.record(rate);
            lastDecodeMilliTokensPerSecond.set(Math.round(rate * 1000));
        }
    }

    String scrape() {
        return registry.scrape();
    }
}
