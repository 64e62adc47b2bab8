package dev.mod4j.runtime.schedule;

/**
 * The order in which CPython iterates a {@code set} of small non-negative ints built by {@code set(list)}: the
 * order of the slots of its hash table. DART's released code walks its pivot tokens as {@code list(set(...))} and
 * each pivot removes candidates for the next, so the order changes which tokens are kept. An int hashes to itself;
 * the table starts with 8 slots, probes 9 neighbours linearly before a perturbed jump, and grows to the smallest
 * power of two above 4 × used when 5 × fill reaches 3 × mask (CPython Objects/setobject.c: set_add_entry,
 * set_insert_clean, set_table_resize).
 */
final class PythonSetOrder {
    private static final int MIN_SIZE = 8;
    private static final int LINEAR_PROBES = 9;
    private static final int PERTURB_SHIFT = 5;

    private PythonSetOrder() {
    }

    /** {@code list(set(values))} for values in [0, 2^31): duplicates removed, in CPython's iteration order. */
    static int[] iterationOrder(int[] values) {
        long[] table = empty(MIN_SIZE);
        int used = 0;
        for (int v : values) {
            if (v < 0) {
                throw new IllegalArgumentException("only non-negative ints hash to themselves: " + v);
            }
            if (contains(table, v)) {
                continue;
            }
            insert(table, v);
            used++;
            int mask = table.length - 1;
            if ((long) used * 5 >= (long) mask * 3) {
                table = resized(table, used * 4);
            }
        }
        int[] order = new int[used];
        int n = 0;
        for (long slot : table) {
            if (slot >= 0) {
                order[n++] = (int) slot;
            }
        }
        return order;
    }

    private static long[] empty(int size) {
        long[] table = new long[size];
        java.util.Arrays.fill(table, -1);
        return table;
    }

    private static long[] resized(long[] old, int minUsed) {
        int size = MIN_SIZE;
        while (size <= minUsed) {
            size <<= 1;
        }
        long[] table = empty(size);
        for (long slot : old) {
            if (slot >= 0) {
                insert(table, (int) slot);
            }
        }
        return table;
    }

    private static boolean contains(long[] table, int v) {
        int mask = table.length - 1;
        long perturb = v;
        int i = v & mask;
        while (true) {
            int probes = i + LINEAR_PROBES <= mask ? LINEAR_PROBES : 0;
            for (int j = 0; j <= probes; j++) {
                long slot = table[i + j];
                if (slot < 0) {
                    return false;
                }
                if (slot == v) {
                    return true;
                }
            }
            perturb >>>= PERTURB_SHIFT;
            i = (int) ((i * 5L + 1 + perturb) & mask);
        }
    }

    /** The slot a new value takes: the first empty one on its probe sequence (no deletions happen here). */
    private static void insert(long[] table, int v) {
        int mask = table.length - 1;
        long perturb = v;
        int i = v & mask;
        while (true) {
            int probes = i + LINEAR_PROBES <= mask ? LINEAR_PROBES : 0;
            for (int j = 0; j <= probes; j++) {
                if (table[i + j] < 0) {
                    table[i + j] = v;
                    return;
                }
            }
            perturb >>>= PERTURB_SHIFT;
            i = (int) ((i * 5L + 1 + perturb) & mask);
        }
    }
}
