package dev.mod4j.runtime.accounting;

/**
 * KV-cache storage: one entry is a key and a value vector across the kv heads,
 * {@code 2 · KV · d_h · bytesPerElement} bytes per layer. p-MoD reports KV storage as entries summed over
 * layers relative to dense (docs/methods.md §2.2, p-MoD issue #6), which {@link #ratioToDense} computes.
 * LLaVA-1.5-7B in fp16: 512 KiB per token over all 32 layers, ≈ 288 MiB per 576-token image (§1.1).
 */
public final class KvCacheBytes {
    private KvCacheBytes() {
    }

    /** How a cached element is stored. (mod4j's own {@code LayerKvCache} stores {@link #FP32}.) */
    public enum ElementType {
        FP16(2),
        BF16(2),
        FP32(4);

        private final int bytes;

        ElementType(int bytes) {
            this.bytes = bytes;
        }

        public int bytes() {
            return bytes;
        }
    }

    /** Bytes of {@code entries} cached tokens in one layer. */
    public static long perLayer(ModelShape shape, long entries, ElementType type) {
        if (entries < 0) {
            throw new IllegalArgumentException("entry count must be non-negative, found " + entries);
        }
        return entries * 2L * shape.kvHeads() * shape.headDim() * type.bytes();
    }

    /** Bytes of one token cached in every layer. */
    public static long perToken(ModelShape shape, ElementType type) {
        return perLayer(shape, 1, type) * shape.layers();
    }

    /** Bytes of a ragged cache holding {@code entriesPerLayer[l]} entries in layer {@code l}. */
    public static long total(ModelShape shape, int[] entriesPerLayer, ElementType type) {
        long entries = 0;
        for (int layerEntries : entriesPerLayer) {
            if (layerEntries < 0) {
                throw new IllegalArgumentException("entry count must be non-negative, found " + layerEntries);
            }
            entries += layerEntries;
        }
        return perLayer(shape, entries, type);
    }

    /** Bytes of the cache as a run's last pass left it. */
    public static long total(ModelShape shape, ForwardPass lastPass, ElementType type) {
        return total(shape, lastPass.kvEntriesPerLayer(), type);
    }

    /**
     * The cache's size relative to a dense cache holding {@code denseEntries} in every layer. Element type and
     * shape cancel, so this is a ratio of entry counts.
     */
    public static double ratioToDense(int[] entriesPerLayer, int denseEntries) {
        if (entriesPerLayer.length == 0 || denseEntries <= 0) {
            throw new IllegalArgumentException("need at least one layer and a positive dense entry count");
        }
        long entries = 0;
        for (int layerEntries : entriesPerLayer) {
            entries += layerEntries;
        }
        return (double) entries / ((long) entriesPerLayer.length * denseEntries);
    }
}
