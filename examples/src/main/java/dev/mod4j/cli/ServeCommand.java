package dev.mod4j.cli;

import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.config.HubCache;
import dev.mod4j.loaders.image.ImageAspect;
import dev.mod4j.loaders.tokenizer.Tokenizer;
import dev.mod4j.runtime.backend.Backends;
import dev.mod4j.runtime.generate.PromptFormat;
import dev.mod4j.runtime.llava.MultimodalModel;
import dev.mod4j.server.ChatServer;
import dev.mod4j.server.ServerSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;

/** {@code mod4j serve}: the OpenAI-compatible chat-completions server (module mod4j-server) over one model. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve a model over OpenAI's chat-completions protocol (images as data URLs, a token schedule"
                + " per request in the body's \"mod4j\": {\"schedule\": SPEC}).",
                "Routes: POST /v1/chat/completions, GET /v1/models, GET /health, GET /metrics. SIGTERM stops it"
                        + " gracefully (running requests may finish within --shutdown-grace), exit 0."})
final class ServeCommand implements Callable<Integer> {
    static final String API_KEY_VARIABLE = "MOD4J_API_KEY";

    @Spec
    CommandSpec spec;

    @Mixin
    Mod4j.CommonOptions common;

    @Option(names = "--model", required = true, paramLabel = "DIR",
            description = "Model directory (or a hub id in the local HuggingFace cache), as for generate.")
    Path model;

    @Option(names = "--vision-tower", paramLabel = "DIR", description = "Original LLaVA layout: the CLIP checkpoint.")
    Path visionTower;

    @Option(names = "--load", paramLabel = "MODE", defaultValue = "mmap", description = "mmap or copy. Default: ${DEFAULT-VALUE}.")
    String load;

    @Option(names = "--backend", paramLabel = "NAME", defaultValue = Backends.DEFAULT,
            completionCandidates = BackendNames.class,
            description = "Where the model runs: ${COMPLETION-CANDIDATES}. Default: ${DEFAULT-VALUE}.")
    String backend;

    @Option(names = "--device", paramLabel = "ID", description = "The backend's device (see mod4j devices).")
    String device;

    @Option(names = "--weights", paramLabel = "TYPE", description = ModelOptions.WEIGHTS_DESCRIPTION)
    String weights;

    @Option(names = "--threads", paramLabel = "N", description = "CPU threads (default: all available processors).")
    Integer threads;

    @Option(names = "--template", paramLabel = "NAME", description = "Prompt format: chat, vicuna_v1 or plain"
            + " (default: the checkpoint's, as for generate).")
    String template;

    @Option(names = "--image-aspect", paramLabel = "pad|crop", description = "How non-square images become square"
            + " (default: as the checkpoint's own software does).")
    String imageAspect;

    @Option(names = "--schedule", paramLabel = "SPEC", defaultValue = "dense",
            description = "Schedule of requests that name none. Default: ${DEFAULT-VALUE}.")
    String schedule;

    @Option(names = "--host", paramLabel = "ADDR", defaultValue = "127.0.0.1",
            description = "Address to bind; 0.0.0.0 exposes the server to the network. Default: ${DEFAULT-VALUE}.")
    String host;

    @Option(names = "--port", paramLabel = "N", defaultValue = "8080", description = "0 picks a free port. Default: ${DEFAULT-VALUE}.")
    int port;

    @Option(names = "--model-id", paramLabel = "NAME", description = "The model's name in /v1/models and responses"
            + " (default: the directory's name).")
    String modelId;

    @Option(names = "--parallel", paramLabel = "N", defaultValue = "1",
            description = "Requests answered at once: N sessions, allocated at start-up. Default: ${DEFAULT-VALUE}.")
    int parallel;

    @Option(names = "--queue", paramLabel = "N", defaultValue = "16",
            description = "Requests that may wait for a session; more get 429. Default: ${DEFAULT-VALUE}.")
    int queue;

    @Option(names = "--context", paramLabel = "TOKENS", description = "Tokens per session, prompt (image rows"
            + " included) and answer (default: the model's context).")
    Integer context;

    @Option(names = "--max-tokens", paramLabel = "N", defaultValue = "512",
            description = "Answer budget of requests without max_tokens. Default: ${DEFAULT-VALUE}.")
    int maxTokens;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "600",
            description = "Per-request limit, waiting included. Default: ${DEFAULT-VALUE}.")
    long timeoutSeconds;

    @Option(names = "--api-key", paramLabel = "KEY", description = "Require 'Authorization: Bearer KEY' on every"
            + " route but /health (default: $" + API_KEY_VARIABLE + ", else none).")
    String apiKey;

    @Option(names = "--max-body-mb", paramLabel = "MB", defaultValue = "64", description = "Largest request body. Default: ${DEFAULT-VALUE}.")
    long maxBodyMb;

    @Option(names = "--max-image-mb", paramLabel = "MB", defaultValue = "20", description = "Largest encoded image. Default: ${DEFAULT-VALUE}.")
    long maxImageMb;

    @Option(names = "--allow-remote-images", description = "Fetch http(s) image URLs (size-limited, with --remote-image-timeout).")
    boolean remoteImages;

    @Option(names = "--remote-image-timeout", paramLabel = "SECONDS", defaultValue = "10", description = "Default: ${DEFAULT-VALUE}.")
    long remoteImageTimeoutSeconds;

    @Option(names = "--image-dir", paramLabel = "DIR", description = "Allow file: image URLs under DIR.")
    Path imageDirectory;

    @Option(names = "--shutdown-grace", paramLabel = "SECONDS", defaultValue = "30",
            description = "On SIGTERM, how long running requests may take to finish. Default: ${DEFAULT-VALUE}.")
    long shutdownGraceSeconds;

    @Override
    public Integer call() throws InterruptedException {
        requirePositive("--parallel", parallel);
        requirePositive("--max-tokens", maxTokens);
        requirePositive("--timeout", timeoutSeconds);
        requirePositive("--max-body-mb", maxBodyMb);
        requirePositive("--max-image-mb", maxImageMb);
        if (queue < 0) {
            throw new InvalidInputException("--queue", "must be >= 0, got " + queue);
        }
        ModelOptions.applyThreads(threads);
        Path directory = HubCache.fromEnvironment().resolveModel(model);
        ImageAspect aspect = imageAspect == null ? null : ImageAspect.parse(imageAspect, "--image-aspect");
        String key = apiKey != null ? apiKey : System.getenv(API_KEY_VARIABLE);
        try (MultimodalModel m = MultimodalModel.load(directory, visionTower, ModelOptions.loadMode(load, weights),
                ModelOptions.backendFactory(weights, backend, device), aspect)) {
            int tokens = context != null ? context : m.decoder().config().maxPositionEmbeddings();
            ServerSettings settings = new ServerSettings(host, port,
                    modelId != null ? modelId : directory.getFileName().toString(), parallel, queue, tokens,
                    schedule, maxTokens, Duration.ofSeconds(timeoutSeconds), key == null || key.isEmpty() ? null : key,
                    maxBodyMb << 20, maxImageMb << 20, remoteImages, Duration.ofSeconds(remoteImageTimeoutSeconds),
                    imageDirectory, Duration.ofSeconds(shutdownGraceSeconds));
            Tokenizer tokenizer = Tokenizer.isPresentIn(directory) ? Tokenizer.load(directory) : null;
            PromptFormat format = PromptFormat.select(template, directory, m.hasVision());
            // A bad default schedule stops start-up, naming the flag (requests' own specs are checked per request).
            ScheduleOptions.forFlag("--schedule", () -> dev.mod4j.runtime.schedule.Schedules.create(schedule,
                    m.decoder().files()));
            ChatServer server = ChatServer.start(m, tokenizer, format, settings);
            spec.commandLine().getOut().printf("mod4j serve: http://%s:%d/v1 (model %s, %s, %d session%s of %d"
                            + " tokens, schedule %s%s)%n", host.contains(":") ? "[" + host + "]" : host, server.port(),
                    settings.modelId(), format.name(), parallel, parallel == 1 ? "" : "s", tokens, schedule,
                    key == null ? "" : ", API key required");
            spec.commandLine().getOut().flush();
            server.awaitTermination(() -> {
                spec.commandLine().getOut().println("mod4j serve: stopped");
                spec.commandLine().getOut().flush();
            });
        }
        return 0;
    }

    private static void requirePositive(String flag, long value) {
        if (value < 1) {
            throw new InvalidInputException(flag, "must be at least 1, got " + value);
        }
    }
}
