package dev.mod4j.loaders.tokenizer;

import java.util.Arrays;

/**
 * The BPE merge table: (left id, right id) → (rank, merged id), as an open-addressing hash table
 * on primitive longs so that looking up a pair during encoding allocates nothing.
 * A lower rank merges first. A pair listed twice keeps its later rank, as HF's HashMap does.
 */
final class BpeMerges {
    private static final long EMPTY = -1L;

    private final long[] keys;
    private final int[] ranks;
    private final int[] mergedIds;
    private final int mask;
    private int size;

    BpeMerges(int expectedPairs) {
        int capacity = Integer.highestOneBit(Math.max(4, expectedPairs * 2 + 1) - 1) << 1;
        keys = new long[capacity];
        Arrays.fill(keys, EMPTY);
        ranks = new int[capacity];
        mergedIds = new int[capacity];
        mask = capacity - 1;
    }

    void put(int left, int right, int rank, int mergedId) {
        long key = key(left, right);
        int slot = slotOf(key);
        if (keys[slot] == EMPTY) {
            if (size + 1 > keys.length / 2) {
                throw new IllegalStateException("merge table sized for fewer pairs");
            }
            keys[slot] = key;
            size++;
        }
        ranks[slot] = rank;
        mergedIds[slot] = mergedId;
    }

    /** The slot of the pair, or -1 if the pair has no merge. */
    int find(int left, int right) {
        int slot = slotOf(key(left, right));
        return keys[slot] == EMPTY ? -1 : slot;
    }

    int rankAt(int slot) {
        return ranks[slot];
    }

    int mergedIdAt(int slot) {
        return mergedIds[slot];
    }

    int size() {
        return size;
    }

    private static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    /** The slot holding {@code key}, or the empty slot where it would go. */
    private int slotOf(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        int slot = (int) (h ^ (h >>> 29)) & mask;
        while (keys[slot] != EMPTY && keys[slot] != key) {
            slot = (slot + 1) & mask;
        }
        return slot;
    }
}
