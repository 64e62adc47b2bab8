package dev.mod4j.robustness;

import dev.mod4j.runtime.generate.Generator;
import dev.mod4j.runtime.generate.SamplingOptions;
import dev.mod4j.runtime.llava.MultimodalModel;
import dev.mod4j.runtime.prompt.PromptRows;
import dev.mod4j.runtime.model.Session;
import dev.mod4j.runtime.schedule.Schedules;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** A loaded model is shared; each session owns its state: many sessions on many threads give the answers run alone. */
class ConcurrentSessionsTest {
    static final String[] SPECS = {"dense", "fastv:k=2;r=0.5", "pdrop:layers=2,4;ratios=0.5,0.25", "gmod",
            "gmod:skip=0.5"};

    static int[] answer(MultimodalModel model, PromptRows prompt, String spec) {
        Session session = model.decoder().newSession(prompt.length() + 6)
                .schedule(Schedules.create(spec, model.decoder().files()));
        return Generator.generate(session, prompt, 6, List.of(), SamplingOptions.GREEDY, t -> {
        }).tokens();
    }

    @Test
    void sessionsOnManyThreadsEqualTheSameRequestsRunAlone() throws Exception {
        Path dir = Path.of(getClass().getResource("/golden/schedules/model-gmod/config.json").toURI()).getParent();
        Path pixels = dir.resolveSibling("../llava-original-f32/pixel_values.npy").normalize();
        try (MultimodalModel model = MultimodalModel.load(dir)) {
            int[] ids = {1, 188, 196, 278, 268, 304, -200, 142, 126, 240, 70, 262, 201};
            PromptRows prompt = model.prompt(ids, List.of(dev.mod4j.loaders.npy.NpyArray.read(pixels).data()));
            int[][] alone = new int[SPECS.length][];
            for (int i = 0; i < SPECS.length; i++) {
                alone[i] = answer(model, prompt, SPECS[i]);
            }
            ExecutorService pool = Executors.newFixedThreadPool(6);
            try {
                List<Future<int[]>> futures = new ArrayList<>();
                for (int request = 0; request < 30; request++) {
                    String spec = SPECS[request % SPECS.length];
                    futures.add(pool.submit(() -> answer(model, prompt, spec)));
                }
                for (int request = 0; request < futures.size(); request++) {
                    assertArrayEquals(alone[request % SPECS.length], futures.get(request).get(),
                            "request " + request + " (" + SPECS[request % SPECS.length] + ") vs alone: "
                                    + Arrays.toString(alone[request % SPECS.length]));
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }
}
