package dev.mod4j.loaders.progress;

import dev.mod4j.loaders.layout.CheckpointLayout;
import dev.mod4j.loaders.safetensors.Checkpoint;
import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.loaders.safetensors.LoadMode;
import dev.mod4j.loaders.safetensors.SafetensorsWriter;
import dev.mod4j.loaders.synthetic.RandomModelSpec;
import dev.mod4j.loaders.synthetic.RandomModelWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What long work in the loaders reports to the bound {@link ProgressListener}, and that nothing is bound by default. */
class ProgressReportingTest {
    @TempDir
    Path dir;

    /** Every task started, with its label, total, the advances reported and whether it was closed. */
    static final class Recording implements ProgressListener {
        final List<String> labels = new ArrayList<>();
        final List<Long> totals = new ArrayList<>();
        final List<List<Long>> advances = new ArrayList<>();
        final List<Boolean> closed = new ArrayList<>();

        @Override
        public ProgressTask start(String label, long total) {
            int index = labels.size();
            labels.add(label);
            totals.add(total);
            advances.add(new ArrayList<>());
            closed.add(false);
            return new ProgressTask() {
                @Override
                public void advance(long units) {
                    advances.get(index).add(units);
                }

                @Override
                public void close() {
                    closed.set(index, true);
                }
            };
        }
    }

    @Test
    void copyingAFileIntoMemoryReportsItsMebibytesChunkByChunkAndMappingReportsNothing() throws Exception {
        // 65 MiB of data plus the header: two 64 MiB chunks, 66 MiB rounded up.
        byte[] data = new byte[65 << 20];
        Path file = dir.resolve("big.safetensors");
        new SafetensorsWriter().add(new SafetensorsWriter.TensorData("t", DType.U8, new long[]{data.length},
                MemorySegment.ofArray(data))).write(file);
        long mebibytes = (Files.size(file) + (1 << 20) - 1) >> 20;
        assertEquals(66, mebibytes);

        Recording copy = new Recording();
        ScopedValue.where(ProgressListener.CURRENT, copy).run(() -> Checkpoint.open(file, LoadMode.COPY).close());
        assertEquals(List.of("load big.safetensors (MiB)"), copy.labels);
        assertEquals(List.of(mebibytes), copy.totals);
        assertEquals(List.of(64L, mebibytes - 64), copy.advances.getFirst());
        assertEquals(List.of(true), copy.closed);

        Recording map = new Recording();
        ScopedValue.where(ProgressListener.CURRENT, map).run(() -> Checkpoint.open(file, LoadMode.MMAP).close());
        assertEquals(List.of(), map.labels, "mapping is instant: nothing to report");
    }

    @Test
    void writingARandomModelReportsEveryRandomTensorOnce() {
        RandomModelSpec spec = new RandomModelSpec(RandomModelSpec.tinyLlama(64, 16, 24, 2, 2, 1), null,
                CheckpointLayout.LLAMA, DType.F32, RandomModelSpec.Routers.NONE, List.of(), 1L << 30, 3, 0.02f);
        Recording recording = new Recording();
        ScopedValue.where(ProgressListener.CURRENT, recording).run(() -> RandomModelWriter.write(spec, dir));
        assertEquals(List.of("write random model (tensors)"), recording.labels);
        // Per layer q, k, v, o, gate, up, down; then the embedding and the LM head (not tied): 2 · 7 + 2.
        assertEquals(List.of(16L), recording.totals);
        assertEquals(16, recording.advances.getFirst().stream().mapToLong(Long::longValue).sum());
        assertTrue(recording.closed.getFirst());
    }

    @Test
    void withNothingBoundProgressGoesNowhere() {
        assertEquals(ProgressListener.NONE, ProgressListener.current());
        assertEquals(ProgressTask.NONE, ProgressListener.current().start("anything", 10));
    }
}
