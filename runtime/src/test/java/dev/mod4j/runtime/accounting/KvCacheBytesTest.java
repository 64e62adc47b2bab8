package dev.mod4j.runtime.accounting;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;

class KvCacheBytesTest {
    static final long KIB = 1024;
    static final long MIB = 1024 * KIB;

    @Test
    void llava15SevenBHolds512KibPerTokenAnd288MibPerImageInFp16() {
        assertEquals(512 * KIB, KvCacheBytes.perToken(ModelShape.VICUNA_7B, KvCacheBytes.ElementType.FP16));
        int[] entries = new int[32];
        Arrays.fill(entries, 576);
        assertEquals(288 * MIB, KvCacheBytes.total(ModelShape.VICUNA_7B, entries, KvCacheBytes.ElementType.FP16));
    }

    @Test
    void oneLayerEntryIsKeyPlusValueAcrossKvHeads() {
        // 2 · 32 kv heads · 128 · 4 bytes.
        assertEquals(32 * KIB, KvCacheBytes.perLayer(ModelShape.VICUNA_7B, 1, KvCacheBytes.ElementType.FP32));
        ModelShape gqa = new ModelShape(1, 4, 6, 2, 1, 2, 10);
        assertEquals(2 * 1 * 2 * 2, KvCacheBytes.perLayer(gqa, 1, KvCacheBytes.ElementType.BF16));
    }

    @Test
    void progressiveRatioDecayKeepsAbout54PercentOfTheVisionCache() {
        // Σ kept = 8·576 + 4600 + 8·86 = 9896 of 32·576 = 18432 → 0.5369 (truncation shaves the 0.5375 mean).
        ForwardPass pass = ForwardPass.prefill(32, TokensByRole.prompt(0, 576, 0),
                ProgressiveRatioDecay.released(32).budget(), 1);
        assertEquals(9896.0 / 18432, KvCacheBytes.ratioToDense(pass.kvEntriesPerLayer(), 576), 1e-12);
        assertEquals(9896L * 512 * KIB / 32,
                KvCacheBytes.total(ModelShape.VICUNA_7B, pass, KvCacheBytes.ElementType.FP16));
    }

    @Test
    void pyramidDropVisionCacheIs46point9Percent() {
        // docs/methods.md §8: (576 + 288 + 144 + 72) / (4 · 576) = 1080 / 2304.
        ForwardPass pass = ForwardPass.prefill(32, TokensByRole.prompt(0, 576, 0),
                PyramidDropStages.DEFAULT.budget(), 1);
        assertEquals(0.469, KvCacheBytes.ratioToDense(pass.kvEntriesPerLayer(), 576), 0.0005);
    }
}
