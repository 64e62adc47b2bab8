package dev.mod4j.runtime.generate;

import dev.mod4j.loaders.InvalidInputException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SamplerTest {
    static final float[] LOGITS = {(float) Math.log(0.5), (float) Math.log(0.3), (float) Math.log(0.2)};

    @Test
    void greedyTakesTheArgmaxAndTheLowestIdOnTies() {
        assertEquals(2, new Sampler(SamplingOptions.GREEDY).next(new float[]{0, 1, 3, -2}));
        assertEquals(1, new Sampler(SamplingOptions.GREEDY).next(new float[]{0, 5, 5}));
    }

    @Test
    void temperatureOneSamplesTheSoftmaxDistribution() {
        Sampler sampler = new Sampler(new SamplingOptions(1.0, 0, 1.0, 42));
        int[] counts = new int[3];
        int n = 40_000;
        for (int i = 0; i < n; i++) {
            counts[sampler.next(LOGITS)]++;
        }
        // Binomial standard deviation at n = 40000 is ≤ 0.0025; allow 4 sigma.
        assertEquals(0.5, counts[0] / (double) n, 0.01);
        assertEquals(0.3, counts[1] / (double) n, 0.01);
        assertEquals(0.2, counts[2] / (double) n, 0.01);
    }

    @Test
    void topPKeepsTheSmallestSetReachingP() {
        // 0.5 < 0.6 so token 0 alone is not enough; 0.5 + 0.3 reaches it: tokens {0, 1} renormalised to 5/8, 3/8.
        Sampler sampler = new Sampler(new SamplingOptions(1.0, 0, 0.6, 7));
        int[] counts = new int[3];
        for (int i = 0; i < 20_000; i++) {
            counts[sampler.next(LOGITS)]++;
        }
        assertEquals(0, counts[2]);
        assertEquals(0.625, counts[0] / 20_000.0, 0.015);
    }

    @Test
    void topKOneIsGreedyAndSeedsRepeat() {
        Sampler k1 = new Sampler(new SamplingOptions(2.0, 1, 1.0, 1));
        for (int i = 0; i < 100; i++) {
            assertEquals(0, k1.next(LOGITS));
        }
        Sampler a = new Sampler(new SamplingOptions(0.8, 0, 0.95, 99));
        Sampler b = new Sampler(new SamplingOptions(0.8, 0, 0.95, 99));
        for (int i = 0; i < 200; i++) {
            assertEquals(a.next(LOGITS), b.next(LOGITS));
        }
    }

    @Test
    void lowTemperatureSharpensTowardsTheArgmax() {
        Sampler cold = new Sampler(new SamplingOptions(0.05, 0, 1.0, 3));
        int zeros = 0;
        for (int i = 0; i < 1000; i++) {
            zeros += cold.next(LOGITS) == 0 ? 1 : 0;
        }
        assertTrue(zeros > 995, "p(0) = 1/(1 + 0.6^20 + 0.4^20) ≈ 1: " + zeros);
    }

    @Test
    void repeatPenaltyCountsEachContextIdOnceAndStreamsThroughNext() {
        // Token 0 (p = 0.5, logit < 0) seen twice: one penalty, its logit times 3 -> 0.5^3 = 0.125 against 0.3, 0.2.
        Sampler sampler = new Sampler(new SamplingOptions(0, 0, 1, 0, 0, 3));
        sampler.remember(0);
        sampler.remember(0);
        sampler.remember(-1);
        assertEquals(1, sampler.next(LOGITS.clone()));
        assertEquals(0, new Sampler(new SamplingOptions(0, 0, 1, 0, 0, 3)).next(LOGITS.clone()), "nothing seen");
    }

    @Test
    void minPKeepsTokensAtLeastThatFractionOfTheMostLikely() {
        // 0.3 / 0.5 = 0.6 stays, 0.2 / 0.5 = 0.4 goes at min-p 0.5: {0, 1} renormalised to 5/8, 3/8.
        Sampler sampler = new Sampler(new SamplingOptions(1, 0, 1, 5, 0.5, 1));
        float[] p = sampler.distribution(LOGITS);
        assertEquals(0.625, p[0], 1e-6);
        assertEquals(0.375, p[1], 1e-6);
        assertEquals(0, p[2]);
    }

    @Test
    void badOptionsAreRejectedByParameterName() {
        assertTrue(assertThrows(InvalidInputException.class, () -> new SamplingOptions(1, 0, 1, 0, 1.5, 1))
                .getMessage().startsWith("min-p: "));
        assertTrue(assertThrows(InvalidInputException.class, () -> new SamplingOptions(1, 0, 1, 0, 0, 0))
                .getMessage().startsWith("repeat-penalty: "));
        assertTrue(assertThrows(InvalidInputException.class, () -> new SamplingOptions(-1, 0, 1, 0)).getMessage()
                .startsWith("temperature: "));
        assertTrue(assertThrows(InvalidInputException.class, () -> new SamplingOptions(1, 0, 1.5, 0)).getMessage()
                .startsWith("top-p: "));
        assertTrue(assertThrows(InvalidInputException.class, () -> new SamplingOptions(1, -3, 1, 0)).getMessage()
                .startsWith("top-k: "));
    }
}
