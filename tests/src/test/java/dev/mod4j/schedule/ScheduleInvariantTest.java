package dev.mod4j.schedule;

import dev.mod4j.loaders.synthetic.RandomModelSpec.Routers;
import dev.mod4j.runtime.llava.MultimodalModel;
import dev.mod4j.runtime.model.LlamaModel;
import dev.mod4j.runtime.prompt.PromptRows;
import dev.mod4j.runtime.model.Session;
import dev.mod4j.runtime.schedule.GammaModSchedule;
import dev.mod4j.runtime.schedule.PModRouters;
import dev.mod4j.runtime.schedule.PModSchedule;
import dev.mod4j.runtime.schedule.Schedules;
import dev.mod4j.runtime.schedule.TokenSchedule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Schedules that keep every token must reproduce the dense model bit for bit, in prefill and in decode. */
class ScheduleInvariantTest {
    @TempDir
    Path dir;

    /** Prefill logits of all rows plus 4 greedy decode steps' logits, concatenated. */
    static float[] run(LlamaModel decoder, PromptRows prompt, TokenSchedule schedule) {
        int vocab = decoder.config().vocabSize();
        int steps = 4;
        float[] out = new float[(prompt.length() + steps) * vocab];
        Session session = decoder.newSession(prompt.length() + steps).schedule(schedule);
        float[] logits = session.prefill(prompt, out);
        for (int s = 0; s < steps; s++) {
            int next = dev.mod4j.runtime.generate.Sampler.argmax(logits);
            logits = session.decode(next);
            System.arraycopy(logits, 0, out, (prompt.length() + s) * vocab, vocab);
        }
        return out;
    }

    @Test
    void keepEverythingSchedulesEqualDenseBitForBit() {
        Path model = ScheduleTestModels.write(dir.resolve("gmod"), Routers.GAMMA_MOD);
        try (MultimodalModel m = MultimodalModel.load(model)) {
            PromptRows prompt = ScheduleTestModels.prompt(m);
            float[] dense = run(m.decoder(), prompt, Schedules.create("dense", m.decoder().files()));
            assertArrayEquals(dense, run(m.decoder(), prompt, Schedules.create("fastv:k=2;r=0", m.decoder().files())));
            assertArrayEquals(dense, run(m.decoder(), prompt,
                    Schedules.create("pdrop:layers=1,3;ratios=1,1", m.decoder().files())));
            // γ-MoD with router probability ≡ 1: nothing skipped, positions 0..N-1, gate 1.
            Set<Integer> all = IntStream.range(0, ScheduleTestModels.LAYERS).boxed().collect(Collectors.toSet());
            GammaModSchedule pIsOne = new GammaModSchedule(all, (layer, ctx) -> {
                float[] p = new float[ctx.rows()];
                java.util.Arrays.fill(p, 1f);
                return p;
            }, null, GammaModSchedule.PREFILL_THRESHOLD, GammaModSchedule.DECODE_THRESHOLD);
            assertArrayEquals(dense, run(m.decoder(), prompt, pIsOne));
        }
    }

    @Test
    void pModWithZeroRoutersAndFullRatiosEqualsDense() {
        Path model = ScheduleTestModels.write(dir.resolve("pmod"), Routers.P_MOD);
        try (MultimodalModel m = MultimodalModel.load(model)) {
            PromptRows prompt = ScheduleTestModels.prompt(m);
            float[] dense = run(m.decoder(), prompt, Schedules.create("dense", m.decoder().files()));
            Map<Integer, Double> everyLayerKeepsAll = new HashMap<>();
            IntStream.range(0, ScheduleTestModels.LAYERS).forEach(l -> everyLayerKeepsAll.put(l, 1.0));
            PModRouters zero = PModRouters.zero(everyLayerKeepsAll.keySet(), m.decoder().config().hiddenSize());
            assertArrayEquals(dense, run(m.decoder(), prompt, new PModSchedule(zero, everyLayerKeepsAll, 0.2, 1.0, "pmod")));
            // The same through the spec: rmax=1 and rmin=1 make every layer MoD at ratio 1; the checkpoint's random
            // routers then only reorder nothing, but STRing still scales kept image tokens' MLP by w != 1, so this
            // must differ from dense: a check that the spec really routes.
            float[] routed = run(m.decoder(), prompt, Schedules.create("pmod:rmax=1;rmin=1", m.decoder().files()));
            assertEquals(dense.length, routed.length);
            org.junit.jupiter.api.Assertions.assertFalse(java.util.Arrays.equals(dense, routed));
        }
    }
}
