package dev.mod4j.api;

import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.runtime.compare.ScheduleComparison;
import dev.mod4j.runtime.generate.SamplingOptions;
import dev.mod4j.runtime.prompt.PromptRows;
import dev.mod4j.runtime.schedule.TokenSchedule;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * One question to a {@link Llava} model, made by {@link Llava#request}: set what differs from the defaults (dense,
 * 32 new tokens, greedy, no streaming), then {@link #ask()} for one answer or {@link #compare} for several schedules.
 *
 * <pre>{@code
 * Answer a = llava.request(image, "What is shown?")
 *         .schedule("pdrop")
 *         .maxNewTokens(16)
 *         .sampling(new SamplingOptions(0.7, 40, 0.9, 42))
 *         .onToken(System.out::print)
 *         .ask();
 * }</pre>
 * A request can be asked again; each {@code ask} or {@code compare} runs on a fresh session.
 */
public final class Request {
    private final Llava llava;
    private final ImageInput image;
    private final String question;
    private final PromptRows prompt;
    private String scheduleSpec = "dense";
    private TokenSchedule schedule;
    private int maxNewTokens = 32;
    private SamplingOptions sampling = SamplingOptions.GREEDY;
    private Consumer<String> onToken;
    private int repeats = ScheduleComparison.DEFAULT_REPEATS;

    Request(Llava llava, ImageInput image, String question, PromptRows prompt) {
        this.llava = llava;
        this.image = image;
        this.question = Objects.requireNonNull(question, "question");
        this.prompt = prompt;
    }

    /** The schedule {@link #ask()} runs under, as a spec ({@code dense}, {@code fastv:k=2;r=0.5}, {@code pdrop}, …);
     * a fresh schedule is made from it for every run. */
    public Request schedule(String spec) {
        this.scheduleSpec = Objects.requireNonNull(spec, "schedule spec");
        this.schedule = null;
        return this;
    }

    /** A schedule of your own (or one from {@link Llava#schedule}); schedules remember their sequence, so give a
     * fresh one before asking again. */
    public Request schedule(TokenSchedule schedule) {
        this.schedule = Objects.requireNonNull(schedule, "schedule");
        this.scheduleSpec = null;
        return this;
    }

    /** The most tokens to generate (fewer when the model's context ends first, or at eos); default 32. */
    public Request maxNewTokens(int maxNewTokens) {
        if (maxNewTokens < 1) {
            throw new InvalidInputException("maxNewTokens", "must be at least 1, got " + maxNewTokens);
        }
        this.maxNewTokens = maxNewTokens;
        return this;
    }

    /** How each next token is chosen; default {@link SamplingOptions#GREEDY}. */
    public Request sampling(SamplingOptions sampling) {
        this.sampling = Objects.requireNonNull(sampling, "sampling");
        return this;
    }

    /**
     * Timed runs per schedule in {@link #compare}, after untimed warm-up runs of every schedule; the timings are
     * the median and range over them. Default {@link ScheduleComparison#DEFAULT_REPEATS}.
     */
    public Request repeats(int repeats) {
        if (repeats < 1) {
            throw new InvalidInputException("repeats", "must be at least 1, got " + repeats);
        }
        this.repeats = repeats;
        return this;
    }

    /**
     * Streams the answer: {@code onToken} gets each piece of decoded text as soon as the tokens that make it are
     * generated (a character split over several byte tokens arrives whole; special tokens are left out). The pieces
     * of one run join to its {@link Answer#text()}. In {@link #compare}, the kept runs (the first timed one of each
     * schedule) stream one after another.
     */
    public Request onToken(Consumer<String> onToken) {
        this.onToken = Objects.requireNonNull(onToken, "onToken");
        return this;
    }

    /** The answer under the request's schedule. */
    public Answer ask() {
        TokenSchedule run = schedule != null ? schedule : llava.schedule(scheduleSpec);
        return llava.answer(question, prompt(), run, maxNewTokens, sampling, onToken);
    }

    /** Every method ({@link Llava#ALL_SCHEDULES}); γ-MoD and p-MoD are left out when the checkpoint has no routers
     * for them. */
    public Comparison compare() {
        return compare(Llava.ALL_SCHEDULES);
    }

    /**
     * The request under each schedule of a comma-separated list of specs, the first being the reference. In the list
     * {@link Llava#ALL_SCHEDULES} γ-MoD and p-MoD are skipped without routers; in any other list that is an error.
     */
    public Comparison compare(String specs) {
        List<String> skipped = new ArrayList<>();
        return compare(llava.schedules(specs, specs.equals(Llava.ALL_SCHEDULES) ? skipped : null), skipped);
    }

    /** The same with schedules made by hand (your own {@link TokenSchedule}s among them), fresh ones. */
    public Comparison compare(List<TokenSchedule> schedules) {
        return compare(schedules, List.of());
    }

    /** As {@link #compare(List)}; {@code skipped} (schedules left out, with the reason) is only reported. */
    public Comparison compare(List<TokenSchedule> schedules, List<String> skipped) {
        if (schedules.isEmpty()) {
            throw new InvalidInputException("schedules", "no schedule to run");
        }
        return llava.comparison(question, image, prompt(), schedules, skipped, maxNewTokens, sampling, repeats, onToken);
    }

    private PromptRows prompt() {
        return prompt != null ? prompt : llava.prompt(image, question);
    }
}
