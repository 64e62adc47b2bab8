package dev.mod4j.server;

import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.tokenizer.StreamingDecoder;
import dev.mod4j.loaders.tokenizer.Tokenizer;
import dev.mod4j.runtime.accounting.FlopsConvention;
import dev.mod4j.runtime.accounting.ModelShape;
import dev.mod4j.runtime.compare.ScheduleRun;
import dev.mod4j.runtime.generate.GenerationResult;
import dev.mod4j.runtime.generate.Generator;
import dev.mod4j.runtime.generate.PromptFormat;
import dev.mod4j.runtime.generate.SamplingOptions;
import dev.mod4j.runtime.llava.MultimodalModel;
import dev.mod4j.runtime.model.Session;
import dev.mod4j.runtime.prompt.PromptRows;
import dev.mod4j.runtime.schedule.ScheduleSpec;
import dev.mod4j.runtime.schedule.Schedules;
import dev.mod4j.runtime.schedule.TokenSchedule;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The model side of a chat completion, as {@code mod4j generate} runs it: the prompt through the checkpoint's format,
 * the images through the vision tower, then {@link Generator#generate} under the request's schedule on a pooled
 * session, the tokens decoded to text as they come. {@link #prepare} checks everything that can be checked before a
 * session is taken (so a bad request is a 400 without queueing); {@link #run} does the work.
 */
final class CompletionEngine {
    private final MultimodalModel model;
    private final Tokenizer tokenizer;
    private final PromptFormat format;
    private final ServerSettings settings;
    private final ImageUrls imageUrls;

    /** A checked request: its input ids, preprocessed images, schedule, sampling and budget. */
    record Prepared(int[] inputIds, List<float[]> images, int promptLength, TokenSchedule schedule,
                    SamplingOptions sampling, int maxNewTokens, List<String> stop) {
    }

    /** How an answer ended: OpenAI's finish reasons, plus the ways a request is cut short. */
    enum Finish {
        STOP("stop"), LENGTH("length"), CANCELLED(null), TIMEOUT(null);

        final String openAiName;

        Finish(String openAiName) {
            this.openAiName = openAiName;
        }
    }

    /**
     * One finished (or cut short) answer.
     *
     * @param promptTokens prompt positions, image rows included
     * @param stats        what the schedule did: the response's {@code mod4j} object
     */
    record Completion(String text, Finish finish, int promptTokens, int completionTokens, Stats stats) {
    }

    /**
     * The response's {@code mod4j} field.
     *
     * @param imageTokensPerLayer image tokens each decoder layer processed in the prefill
     * @param prefillFlopsRatio   the prefill's exact multiply-adds over the dense model's on the same prompt
     * @param kvCacheBytes        KV-cache bytes held at the end of the answer
     */
    record Stats(String schedule, int[] imageTokensPerLayer, long prefillMacs, double prefillFlopsRatio,
                 long kvCacheBytes, double prefillMillis, double decodeTokensPerSecond) {
    }

    /** Stops {@link Generator#generate} from inside its token callback. */
    private static final class StopGeneration extends RuntimeException {
        final Finish finish;

        StopGeneration(Finish finish) {
            super(finish.name(), null, false, false);
            this.finish = finish;
        }
    }

    CompletionEngine(MultimodalModel model, Tokenizer tokenizer, PromptFormat format, ServerSettings settings) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.format = format;
        this.settings = settings;
        this.imageUrls = new ImageUrls(settings);
    }

    Prepared prepare(ChatRequest request) {
        ChatPrompt prompt = ChatPrompt.of(request.messages());
        List<float[]> images = new ArrayList<>();
        if (!prompt.images().isEmpty() && !model.hasVision()) {
            throw ApiError.invalidRequest("messages", "this model is text-only; it cannot take images");
        }
        int messageIndex = request.messages().size() - 1;
        for (int i = 0; i < prompt.images().size(); i++) {
            String where = "messages[" + messageIndex + "].content (image " + (i + 1) + ")";
            images.add(preprocess(imageUrls.decode(prompt.images().get(i).url(), where), where));
        }
        int[] ids;
        try {
            ids = format.encode(tokenizer, prompt.text(), images.size(),
                    model.hasVision() ? model.imagePlaceholderId() : Integer.MIN_VALUE);
        } catch (InvalidInputException e) {
            throw ApiError.invalidRequest("messages", e.getMessage());
        }
        int promptLength = ids.length;
        if (!images.isEmpty()) {
            promptLength += images.size() * (model.rowsPerImage() - 1);
        }
        if (promptLength >= settings.contextTokens()) {
            throw ApiError.contextLengthExceeded("the prompt is " + promptLength + " positions (text + image rows);"
                    + " this server's sessions hold " + settings.contextTokens() + " (the answer needs at least one"
                    + " more)");
        }
        String spec = request.schedule() != null ? request.schedule() : settings.defaultSchedule();
        TokenSchedule schedule;
        try {
            schedule = Schedules.create(spec, model.decoder().files());
        } catch (InvalidInputException e) {
            String problem = ScheduleSpec.SOURCE.equals(e.source()) ? e.problem() : e.getMessage();
            throw ApiError.invalidRequest("mod4j.schedule", "bad schedule '" + spec + "': " + problem);
        }
        SamplingOptions sampling;
        try {
            sampling = new SamplingOptions(request.temperature() == null ? 0 : request.temperature(),
                    request.topK() == null ? 0 : request.topK(), request.topP() == null ? 1 : request.topP(),
                    request.seed() == null ? 0 : request.seed());
        } catch (InvalidInputException e) {
            throw ApiError.invalidRequest(e.source(), e.getMessage());
        }
        int budget = request.maxTokens() != null ? request.maxTokens() : settings.defaultMaxTokens();
        return new Prepared(ids, images, promptLength, schedule, sampling,
                Math.min(budget, settings.contextTokens() - promptLength), request.stop());
    }

    private float[] preprocess(dev.mod4j.loaders.image.DecodedImage image, String where) {
        try {
            return model.preprocess(image);
        } catch (InvalidInputException e) {
            throw ApiError.invalidRequest(where, "'" + where + "': " + e.problem());
        }
    }

    /**
     * Answers {@code request} on {@code session}, passing text to {@code onText} as it is decoded (a stop string and
     * what follows it held back). Generation ends at eos, a stop string, the budget, when {@code cancelled} says so
     * (the client left) or at {@code deadlineNanos}.
     */
    Completion run(Prepared request, Session session, Consumer<String> onText, BooleanSupplier cancelled,
                   long deadlineNanos) {
        long start = System.nanoTime();
        PromptRows prompt = model.prompt(request.inputIds(), request.images());
        session.reset();
        session.schedule(request.schedule()).tracing(true);
        StreamingDecoder decoder = tokenizer.streamingDecoder(true);
        StringBuilder text = new StringBuilder();
        StopStrings stop = new StopStrings(request.stop(), piece -> {
            text.append(piece);
            onText.accept(piece);
        });
        int[] tokens = new int[request.maxNewTokens()];
        int[] count = {0};
        long[] firstToken = {0};
        Finish finish;
        try {
            GenerationResult result = Generator.generate(session, prompt, request.maxNewTokens(),
                    model.decoder().config().eosTokenIds(), request.sampling(), token -> {
                        if (count[0] == 0) {
                            firstToken[0] = System.nanoTime();
                        }
                        tokens[count[0]++] = token;
                        if (stop.accept(decoder.next(token))) {
                            throw new StopGeneration(Finish.STOP);
                        }
                        if (cancelled.getAsBoolean()) {
                            throw new StopGeneration(Finish.CANCELLED);
                        }
                        if (System.nanoTime() > deadlineNanos) {
                            throw new StopGeneration(Finish.TIMEOUT);
                        }
                    });
            if (!stop.accept(decoder.finish())) {
                stop.finish();
            }
            finish = result.stoppedOnEos() ? Finish.STOP : Finish.LENGTH;
        } catch (StopGeneration e) {
            finish = e.finish;
        }
        long end = System.nanoTime();
        long prefillNanos = (firstToken[0] == 0 ? end : firstToken[0]) - start;
        GenerationResult generation = new GenerationResult(prompt.tokenIds(), Arrays.copyOf(tokens, count[0]),
                finish == Finish.STOP, prefillNanos, firstToken[0] == 0 ? 0 : end - firstToken[0]);
        return new Completion(text.toString(), finish, prompt.length(), count[0], stats(session, generation));
    }

    private Stats stats(Session session, GenerationResult generation) {
        ScheduleRun run = new ScheduleRun(session.schedule().spec(), generation, session.trace(),
                session.trace().prefillMacs(), session.trace().totalMacs(), session.kvCacheEntries(),
                session.kvCacheBytes());
        double ratio = run.prefillFlops(FlopsConvention.EXACT, ModelShape.of(model.decoder().config())).ratioToDense();
        return new Stats(run.spec(), run.imageTokensPerLayer(), run.prefillMacs(), ratio, run.kvCacheBytes(),
                generation.prefillMillis(), generation.decodeTokensPerSecond());
    }
}
