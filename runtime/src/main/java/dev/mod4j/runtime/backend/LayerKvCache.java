package dev.mod4j.runtime.backend;

import dev.mod4j.loaders.config.LlamaConfig;

/**
 * One decoder layer's key/value cache. It holds only the tokens this layer processed, in sequence order, and
 * stores for each entry the rotary position its key was rotated with and the sequence index of its token: under
 * token schedules each layer's cache has its own length, and positions may be original (gapped) or renumbered.
 */
public final class LayerKvCache {
    private final int kvDim;
    private final int capacity;
    private final float[] keys;
    private final float[] values;
    private final int[] positions;
    private final int[] tokenIndices;
    private int length;

    public LayerKvCache(int kvDim, int capacity) {
        this.kvDim = kvDim;
        this.capacity = capacity;
        this.keys = new float[Math.multiplyExact(kvDim, capacity)];
        this.values = new float[kvDim * capacity];
        this.positions = new int[capacity];
        this.tokenIndices = new int[capacity];
    }

    /** Heap bytes of the float32 caches of every layer of a session of {@code capacity} tokens. */
    public static long heapBytes(LlamaConfig c, int capacity) {
        return 2L * c.numHiddenLayers() * capacity * c.kvDim() * Float.BYTES;
    }

    /** Entry index where the next appended row goes; rows appended in one call attend causally among themselves. */
    public int length() {
        return length;
    }

    public int capacity() {
        return capacity;
    }

    public int kvDim() {
        return kvDim;
    }

    /** Keys, row-major [capacity × kvDim]; entries [0, length) are valid. */
    public float[] keys() {
        return keys;
    }

    public float[] values() {
        return values;
    }

    public int position(int entry) {
        return positions[entry];
    }

    public int tokenIndex(int entry) {
        return tokenIndices[entry];
    }

    /** Reserves {@code rows} entries for the given tokens and returns the first entry index. */
    public int reserve(int rows, int[] rowPositions, int[] rowTokenIndices) {
        if (length + rows > capacity) {
            throw new IllegalStateException("KV cache full: " + length + " + " + rows + " > capacity " + capacity);
        }
        int base = length;
        System.arraycopy(rowPositions, 0, positions, base, rows);
        System.arraycopy(rowTokenIndices, 0, tokenIndices, base, rows);
        length += rows;
        return base;
    }

    /** Bytes held by the valid entries as stored (float32 keys and values). */
    public long usedBytes() {
        return 2L * length * kvDim * Float.BYTES;
    }

    public void clear() {
        length = 0;
    }

    /** Drops entries past {@code newLength} (e.g. to roll a sequence back). */
    public void truncate(int newLength) {
        if (newLength < 0 || newLength > length) {
            throw new IllegalArgumentException("cannot truncate a cache of " + length + " entries to " + newLength);
        }
        length = newLength;
    }
}
