package dev.mod4j.loaders.tokenizer;

import java.util.Arrays;
import java.util.Map;

/**
 * The {@code "type": "BPE"} model of tokenizer.json, encoding one word (a piece of normalized text)
 * the way HF tokenizers' {@code BPE::merge_word} and {@code Word::merge_all} do:
 * <ol>
 *   <li>each character becomes its vocab token; a character not in the vocab becomes the
 *       {@code <0xNN>} tokens of its UTF-8 bytes (byte fallback), or else {@code unk_token}
 *       (consecutive unknowns fused into one when {@code fuse_unk});</li>
 *   <li>then, repeatedly, the adjacent pair with the lowest merge rank is merged, the leftmost
 *       first among equal ranks, using a priority queue: O(n log n) per word.</li>
 * </ol>
 */
final class BpeModel {
    private final String file;
    private final Map<String, Integer> vocab;
    private final BpeMerges merges;
    /** The id each merge rank produces; queue entries carry a rank and are checked against it. */
    private final int[] mergedIdByRank;
    /** The id of {@code <0xNN>} for each byte, or -1 where the vocab lacks it. */
    private final int[] byteIds = new int[256];
    private final boolean byteFallback;
    private final int unkId;
    private final boolean fuseUnk;
    private final boolean ignoreMerges;

    /**
     * @param unkId -1 when the model has no {@code unk_token}
     */
    BpeModel(String file, Map<String, Integer> vocab, BpeMerges merges, int[] mergedIdByRank, boolean byteFallback,
             int unkId, boolean fuseUnk, boolean ignoreMerges) {
        this.file = file;
        this.vocab = Map.copyOf(vocab);
        this.merges = merges;
        this.mergedIdByRank = mergedIdByRank.clone();
        this.byteFallback = byteFallback;
        this.unkId = unkId;
        this.fuseUnk = fuseUnk;
        this.ignoreMerges = ignoreMerges;
        for (int b = 0; b < 256; b++) {
            byteIds[b] = vocab.getOrDefault(byteTokenText(b), -1);
        }
    }

    /** The byte-fallback token for a byte: {@code <0x0A>}, two upper-case hex digits as HF writes them. */
    static String byteTokenText(int b) {
        return String.format("<0x%02X>", b);
    }

    int vocabSize() {
        return vocab.size();
    }

    Integer idOf(String piece) {
        return vocab.get(piece);
    }

    /** Appends the ids of one word to {@code out}. */
    void encodeWord(String word, IntList out) {
        if (word.isEmpty()) {
            return;
        }
        if (ignoreMerges) {
            Integer whole = vocab.get(word);
            if (whole != null) {
                out.add(whole);
                return;
            }
        }
        Word symbols = initialSymbols(word);
        symbols.mergeAll();
        symbols.appendTo(out);
    }

    private Word initialSymbols(String word) {
        // A UTF-16 unit is at most 3 UTF-8 bytes (a surrogate pair is 4 bytes for 2 units).
        Word symbols = new Word(word.length() * 3);
        boolean pendingUnk = false;
        for (int i = 0; i < word.length(); ) {
            int cp = word.codePointAt(i);
            int end = i + Character.charCount(cp);
            Integer id = vocab.get(word.substring(i, end));
            i = end;
            if (id != null) {
                if (pendingUnk) {
                    symbols.add(unkId);
                    pendingUnk = false;
                }
                symbols.add(id);
                continue;
            }
            if (byteFallback && addBytes(cp, symbols)) {
                // HF adds the bytes without first flushing a pending unk; kept for identical ids.
                continue;
            }
            if (unkId < 0) {
                throw new TokenizerFormatException(file, String.format(
                        "model: cannot encode character U+%04X: it is not in the vocab, and the model has "
                                + "no byte fallback and no unk_token", cp));
            }
            if (pendingUnk && !fuseUnk) {
                symbols.add(unkId);
            }
            pendingUnk = true;
        }
        if (pendingUnk) {
            symbols.add(unkId);
        }
        return symbols;
    }

    /** Adds the byte tokens of a character, if the vocab has all of them. */
    private boolean addBytes(int cp, Word symbols) {
        byte[] utf8 = Character.toString(cp).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (byte b : utf8) {
            if (byteIds[b & 0xFF] < 0) {
                return false;
            }
        }
        for (byte b : utf8) {
            symbols.add(byteIds[b & 0xFF]);
        }
        return true;
    }

    /** The symbols of one word as a doubly linked list in arrays, merged in place. */
    private final class Word {
        private final int[] ids;
        private final int[] prev;
        private final int[] next;
        private final boolean[] removed;
        private int size;

        Word(int capacity) {
            ids = new int[capacity];
            prev = new int[capacity];
            next = new int[capacity];
            removed = new boolean[capacity];
        }

        void add(int id) {
            ids[size] = id;
            prev[size] = size - 1;
            next[size] = -1;
            if (size > 0) {
                next[size - 1] = size;
            }
            size++;
        }

        void mergeAll() {
            // Queue entries are (rank << 32 | position): the smallest is the lowest rank, then leftmost.
            LongMinHeap queue = new LongMinHeap(Math.max(size, 1));
            for (int pos = 0; pos + 1 < size; pos++) {
                offer(queue, pos, pos + 1);
            }
            while (!queue.isEmpty()) {
                long top = queue.poll();
                int rank = (int) (top >>> 32);
                int pos = (int) top;
                if (removed[pos] || next[pos] < 0) {
                    continue;
                }
                int right = next[pos];
                int slot = merges.find(ids[pos], ids[right]);
                // The entry is stale when the pair at pos changed since it was queued.
                if (slot < 0 || merges.mergedIdAt(slot) != mergedIdByRank[rank]) {
                    continue;
                }
                ids[pos] = mergedIdByRank[rank];
                removed[right] = true;
                next[pos] = next[right];
                if (next[right] >= 0) {
                    prev[next[right]] = pos;
                }
                if (prev[pos] >= 0) {
                    offer(queue, prev[pos], pos);
                }
                if (next[pos] >= 0) {
                    offer(queue, pos, next[pos]);
                }
            }
        }

        private void offer(LongMinHeap queue, int left, int right) {
            int slot = merges.find(ids[left], ids[right]);
            if (slot >= 0) {
                queue.add(((long) merges.rankAt(slot) << 32) | left);
            }
        }

        void appendTo(IntList out) {
            // Symbol 0 is never removed: a merge removes the right symbol of a pair.
            for (int pos = 0; pos >= 0 && size > 0; pos = next[pos]) {
                out.add(ids[pos]);
            }
        }
    }

    /** A binary min-heap of primitive longs. */
    private static final class LongMinHeap {
        private long[] heap;
        private int size;

        LongMinHeap(int capacity) {
            heap = new long[capacity];
        }

        boolean isEmpty() {
            return size == 0;
        }

        void add(long value) {
            if (size == heap.length) {
                heap = Arrays.copyOf(heap, size * 2);
            }
            int i = size++;
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (heap[parent] <= value) {
                    break;
                }
                heap[i] = heap[parent];
                i = parent;
            }
            heap[i] = value;
        }

        long poll() {
            long result = heap[0];
            long last = heap[--size];
            int i = 0;
            while (true) {
                int child = 2 * i + 1;
                if (child >= size) {
                    break;
                }
                if (child + 1 < size && heap[child + 1] < heap[child]) {
                    child++;
                }
                if (last <= heap[child]) {
                    break;
                }
                heap[i] = heap[child];
                i = child;
            }
            if (size > 0) {
                heap[i] = last;
            }
            return result;
        }
    }
}
