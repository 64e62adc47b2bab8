package dev.mod4j.runtime.compare;

import dev.mod4j.runtime.generate.GenerationResult;
import dev.mod4j.runtime.generate.Generator;
import dev.mod4j.runtime.generate.SamplingOptions;
import dev.mod4j.runtime.model.LlamaModel;
import dev.mod4j.runtime.prompt.PromptRows;
import dev.mod4j.runtime.model.Session;
import dev.mod4j.runtime.schedule.TokenSchedule;

import java.util.ArrayList;
import java.util.List;

/** Runs one request under several schedules with greedy decoding, on one session's worth of memory at a time. */
public final class ScheduleComparison {
    private ScheduleComparison() {
    }

    public static List<ScheduleRun> run(LlamaModel decoder, PromptRows prompt, List<TokenSchedule> schedules,
                                        int maxNewTokens) {
        List<ScheduleRun> runs = new ArrayList<>();
        int capacity = Math.min(decoder.config().maxPositionEmbeddings(), prompt.length() + maxNewTokens);
        Session session = decoder.newSession(capacity);
        // One unmeasured dense pass first, so the JIT has compiled the kernels before anything is timed.
        session.prefill(prompt, null);
        for (TokenSchedule schedule : schedules) {
            session.reset();
            session.schedule(schedule);
            GenerationResult result = Generator.generate(session, prompt, capacity - prompt.length(),
                    decoder.config().eosTokenIds(), SamplingOptions.GREEDY, token -> {
                    });
            runs.add(new ScheduleRun(schedule.spec(), result, session.trace().copy(), session.trace().prefillMacs(),
                    session.trace().totalMacs(), session.kvCacheEntries(), session.kvCacheBytes()));
        }
        return runs;
    }
}
