package dev.mod4j.runtime.generate;

import dev.mod4j.runtime.prompt.PromptRows;
import dev.mod4j.runtime.model.Session;

import java.util.Arrays;
import java.util.List;
import java.util.function.IntConsumer;
import java.util.function.IntPredicate;

/** The generation loop: prefill the prompt, then sample and decode until eos or the token budget. */
public final class Generator {
    private Generator() {
    }

    /**
     * @param onToken called with each generated token as soon as it is chosen (for streaming); not with eos
     */
    public static GenerationResult generate(Session session, int[] prompt, int maxNewTokens, List<Integer> eosIds,
                                            SamplingOptions sampling, IntConsumer onToken) {
        return generate(session, PromptRows.ofTokens(prompt), maxNewTokens, eosIds, sampling, onToken);
    }

    /** As above for a prompt that may hold image rows. */
    public static GenerationResult generate(Session session, PromptRows prompt, int maxNewTokens, List<Integer> eosIds,
                                            SamplingOptions sampling, IntConsumer onToken) {
        return generateUntil(session, prompt, maxNewTokens, eosIds, sampling, token -> {
            onToken.accept(token);
            return false;
        });
    }

    /**
     * As above, where {@code onToken} may end the generation: when it returns true for a token (a stop string was
     * reached), that token is the last one kept and nothing more is decoded.
     */
    public static GenerationResult generateUntil(Session session, PromptRows prompt, int maxNewTokens,
                                                 List<Integer> eosIds, SamplingOptions sampling, IntPredicate onToken) {
        Sampler sampler = new Sampler(sampling);
        for (int id : prompt.tokenIds()) {
            sampler.remember(id); // image rows are -1: no token to penalise
        }
        long start = System.nanoTime();
        float[] logits = session.prefill(prompt, null);
        long prefillDone = System.nanoTime();
        int[] tokens = new int[maxNewTokens];
        int count = 0;
        boolean eos = false;
        while (count < maxNewTokens) {
            int next = sampler.next(logits);
            if (eosIds.contains(next)) {
                eos = true;
                break;
            }
            tokens[count++] = next;
            sampler.remember(next);
            if (onToken.test(next)) {
                break;
            }
            if (count < maxNewTokens) {
                logits = session.decode(next);
            }
        }
        long end = System.nanoTime();
        return new GenerationResult(prompt.tokenIds().clone(), Arrays.copyOf(tokens, count), eos, prefillDone - start,
                end - prefillDone);
    }
}
