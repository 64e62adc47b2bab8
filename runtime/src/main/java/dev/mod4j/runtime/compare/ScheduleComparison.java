package dev.mod4j.runtime.compare;

import dev.mod4j.loaders.layout.ModelFiles;
import dev.mod4j.runtime.generate.GenerationResult;
import dev.mod4j.runtime.generate.Generator;
import dev.mod4j.runtime.generate.SamplingOptions;
import dev.mod4j.runtime.model.LlamaModel;
import dev.mod4j.runtime.model.Session;
import dev.mod4j.runtime.prompt.PromptRows;
import dev.mod4j.runtime.schedule.ScheduleMethods;
import dev.mod4j.runtime.schedule.Schedules;
import dev.mod4j.runtime.schedule.TokenSchedule;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.IntConsumer;
import java.util.function.Supplier;

/**
 * Runs one request under several schedules, on one session's worth of memory at a time, and times them fairly: first
 * untimed warm-up rounds (every schedule run as it will be timed, so the JIT has compiled every schedule's code
 * paths, the first schedule's decode included; one round, or as many as fill half a second), then {@code repeats} timed rounds. Rounds go over all schedules
 * in turn, so a slow spell of a shared machine lands on every schedule rather than on one. The first timed round's
 * runs are kept (tokens, trace, MACs); every round's times make the {@link RunTimings}.
 */
public final class ScheduleComparison {
    /** Least time the untimed warm-up rounds take together, however fast one round is. */
    static final long MIN_WARM_UP_NANOS = 500_000_000L;

    /** Most warm-up rounds, for a model so small that rounds take no measurable time. */
    static final int MAX_WARM_UP_ROUNDS = 200;

    /** Timed repeats when the caller does not say. */
    public static final int DEFAULT_REPEATS = 3;

    /**
     * What a comparison does besides the schedules.
     *
     * @param maxNewTokens most tokens to generate per run (fewer when the context ends first, or at eos)
     * @param sampling     how each next token is chosen (a seeded sampler repeats itself, so every repeat generates
     *                     the same tokens)
     * @param repeats      timed runs per schedule, after the warm-up
     */
    public record Settings(int maxNewTokens, SamplingOptions sampling, int repeats) {
        public Settings {
            if (maxNewTokens < 1 || repeats < 1) {
                throw new IllegalArgumentException("maxNewTokens and repeats must be at least 1, got " + maxNewTokens
                        + " and " + repeats);
            }
        }

        /** Greedy decoding, {@link #DEFAULT_REPEATS} timed repeats. */
        public static Settings greedy(int maxNewTokens) {
            return new Settings(maxNewTokens, SamplingOptions.GREEDY, DEFAULT_REPEATS);
        }
    }

    /** Receives the tokens of each schedule's kept run as they are generated, one run after another. */
    public interface TokenStream extends IntConsumer {
        /** The run has ended. */
        default void finish() {
        }
    }

    private ScheduleComparison() {
    }

    /** Greedy decoding with {@link #DEFAULT_REPEATS} timed repeats; see {@link #fresh} for how schedules are reused. */
    public static List<ScheduleRun> run(LlamaModel decoder, PromptRows prompt, List<TokenSchedule> schedules,
                                        int maxNewTokens) {
        return run(decoder, prompt, schedules.stream().map(s -> fresh(s, decoder.files())).toList(),
                Settings.greedy(maxNewTokens), null);
    }

    /**
     * The request under each schedule, in order (the first is the reference for the callers' ratios).
     *
     * @param schedules one supplier per schedule, asked for a schedule before each of its runs (schedules serve one
     *                  sequence)
     * @param streamed  makes the stream for each schedule's kept run, or null
     */
    public static List<ScheduleRun> run(LlamaModel decoder, PromptRows prompt,
                                        List<? extends Supplier<TokenSchedule>> schedules, Settings settings,
                                        Supplier<? extends TokenStream> streamed) {
        return run(decoder, prompt, schedules, settings, streamed, (done, total) -> {
        });
    }

    /**
     * The longest prompt a schedule will prefill: a reduction in the vision tower (VisionZip) rebuilds the prompt,
     * which on a tiled (LLaVA-NeXT) image of a small tower can be longer than the packed one (every crop keeps
     * dominant + contextual rows, and no unpadding), so its length is found by building it once.
     */
    private static int longestPrompt(PromptRows prompt, List<? extends Supplier<TokenSchedule>> schedules) {
        int longest = prompt.length();
        if (!prompt.hasImages() || prompt.imageReducer() == null) {
            return longest;
        }
        for (Supplier<TokenSchedule> schedule : schedules) {
            var reduction = schedule.get().imageReduction();
            if (reduction != null) {
                longest = Math.max(longest, prompt.imageReducer().apply(reduction).prompt().length());
            }
        }
        return longest;
    }

    /** How far a comparison is: {@code done} of the {@code total} timed runs (schedules × repeats) have finished. */
    @FunctionalInterface
    public interface Progress {
        void timedRunDone(int done, int total);
    }

    /** As above, telling {@code progress} after each timed run (for a progress bar). */
    public static List<ScheduleRun> run(LlamaModel decoder, PromptRows prompt,
                                        List<? extends Supplier<TokenSchedule>> schedules, Settings settings,
                                        Supplier<? extends TokenStream> streamed, Progress progress) {
        int longest = longestPrompt(prompt, schedules);
        int capacity = Math.min(decoder.config().maxPositionEmbeddings(), longest + settings.maxNewTokens());
        Session session = decoder.newSession(capacity);
        int maxNewTokens = capacity - longest;
        // On a small model one round is a few milliseconds, too little for the JIT to finish compiling the token
        // loop, so the first timed schedule would still pay for it: warm up for a minimum time as well (a real
        // checkpoint's single round takes far longer than that).
        long warmUpStart = System.nanoTime();
        for (int round = 0; round == 0 || round < MAX_WARM_UP_ROUNDS
                && System.nanoTime() - warmUpStart < MIN_WARM_UP_NANOS; round++) {
            for (Supplier<TokenSchedule> schedule : schedules) {
                generate(session, prompt, schedule.get(), maxNewTokens, decoder, settings, null);
            }
        }
        List<ScheduleRun> kept = new ArrayList<>();
        List<List<GenerationResult>> timed = new ArrayList<>();
        for (int round = 0; round < settings.repeats(); round++) {
            for (int i = 0; i < schedules.size(); i++) {
                TokenSchedule schedule = schedules.get(i).get();
                TokenStream stream = round == 0 && streamed != null ? streamed.get() : null;
                GenerationResult result = generate(session, prompt, schedule, maxNewTokens, decoder, settings, stream);
                if (round == 0) {
                    kept.add(new ScheduleRun(schedule.spec(), result, session.trace().copy(),
                            session.trace().prefillMacs(), session.trace().totalMacs(), session.kvCacheEntries(),
                            session.kvCacheBytes()));
                    timed.add(new ArrayList<>());
                }
                timed.get(i).add(result);
                progress.timedRunDone(round * schedules.size() + i + 1, settings.repeats() * schedules.size());
            }
        }
        List<ScheduleRun> runs = new ArrayList<>();
        for (int i = 0; i < kept.size(); i++) {
            runs.add(kept.get(i).withTimings(RunTimings.of(timed.get(i))));
        }
        return runs;
    }

    /**
     * Supplies {@code schedule} itself first, then fresh ones made from its spec; a schedule whose method is not
     * registered cannot be remade and is reused, which is right for schedules that start afresh at each prefill (as
     * the built-in ones do).
     */
    public static Supplier<TokenSchedule> fresh(TokenSchedule schedule, ModelFiles files) {
        return new Supplier<>() {
            private boolean given;

            @Override
            public TokenSchedule get() {
                if (!given) {
                    given = true;
                    return schedule;
                }
                // A spec starts with its method's name; a schedule of your own may use any spec at all.
                String method = schedule.spec().split(":", 2)[0].strip().toLowerCase(Locale.ROOT);
                return ScheduleMethods.find(method) == null ? schedule : Schedules.create(schedule.spec(), files);
            }
        };
    }

    private static GenerationResult generate(Session session, PromptRows prompt, TokenSchedule schedule, int maxNewTokens,
                                              LlamaModel decoder, Settings settings, TokenStream stream) {
        session.reset();
        session.schedule(schedule);
        GenerationResult result = Generator.generate(session, prompt, maxNewTokens,
                decoder.config().eosTokenIds(), settings.sampling(), stream == null ? token -> {
                } : stream);
        if (stream != null) {
            stream.finish();
        }
        return result;
    }
}
