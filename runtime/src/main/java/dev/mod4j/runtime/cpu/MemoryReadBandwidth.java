package dev.mod4j.runtime.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * How fast the cores can read given memory: every byte of the segments summed as floats, split over a thread
 * pool in 1 MiB chunks, each read as four streams. Decode streams each weight once per token, so reading the same
 * weights (same load mode, same pages, same threads, same minute) is the bound a decode step can approach; a
 * benchmark prints the two side by side because this machine's bandwidth varies several-fold from minute to minute.
 */
public final class MemoryReadBandwidth {

    private static final VectorSpecies<Float> F = WeightVectors.F;
    private static final long CHUNK = 1L << 20;

    @SuppressWarnings("unused")
    private static volatile float sink;

    private MemoryReadBandwidth() {
    }

    /** The best of {@code passes} full reads of the segments, in bytes per second. */
    public static double bytesPerSecond(List<MemorySegment> segments, Parallel parallel, int passes) {
        List<MemorySegment> chunks = new ArrayList<>();
        long total = 0;
        for (MemorySegment segment : segments) {
            for (long at = 0; at < segment.byteSize(); at += CHUNK) {
                chunks.add(segment.asSlice(at, Math.min(CHUNK, segment.byteSize() - at)));
            }
            total += segment.byteSize();
        }
        float[] sums = new float[chunks.size()];
        long best = Long.MAX_VALUE;
        for (int pass = 0; pass < Math.max(1, passes); pass++) {
            long t0 = System.nanoTime();
            parallel.forEach(chunks.size(), i -> sums[i] = sum(chunks.get(i)));
            best = Math.min(best, System.nanoTime() - t0);
        }
        float keep = 0;
        for (float s : sums) {
            keep += s;
        }
        sink = keep; // the sums are used, so the JIT cannot drop the reads as dead code
        return total / (best / 1e9);
    }

    /**
     * The chunk's floats summed as four interleaved streams (its quarters), as a decode kernel reads four weight
     * rows at once: one sequential stream per core leaves part of the bandwidth unused on these machines.
     */
    private static float sum(MemorySegment chunk) {
        FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
        int vb = F.vectorByteSize();
        long quarter = chunk.byteSize() / 4 / vb * vb;
        for (long at = 0; at < quarter; at += vb) {
            s0 = s0.add(FloatVector.fromMemorySegment(F, chunk, at, ByteOrder.LITTLE_ENDIAN));
            s1 = s1.add(FloatVector.fromMemorySegment(F, chunk, quarter + at, ByteOrder.LITTLE_ENDIAN));
            s2 = s2.add(FloatVector.fromMemorySegment(F, chunk, 2 * quarter + at, ByteOrder.LITTLE_ENDIAN));
            s3 = s3.add(FloatVector.fromMemorySegment(F, chunk, 3 * quarter + at, ByteOrder.LITTLE_ENDIAN));
        }
        float tail = 0;
        for (long at = 4 * quarter; at + 4 <= chunk.byteSize(); at += 4) {
            tail += chunk.get(ValueLayout.JAVA_FLOAT_UNALIGNED, at);
        }
        return s0.add(s1).add(s2).add(s3).reduceLanes(VectorOperators.ADD) + tail;
    }
}
