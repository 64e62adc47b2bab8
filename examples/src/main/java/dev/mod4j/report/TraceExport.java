package dev.mod4j.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.mod4j.runtime.schedule.LayerRecord;
import dev.mod4j.runtime.schedule.RoutingTrace;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a {@link RoutingTrace} as an Arrow IPC file (one row per token and layer pass; readable with
 * {@code pyarrow.ipc.open_file} or pandas) or as JSON (one object per layer pass).
 *
 * <p>Arrow columns: schedule, step (0 = prefill), phase, layer, sequence_index, processed, gate (null when the layer
 * applied none), score (null when the method computed none). A token appears in a layer pass if the layer processed
 * it, or if the method scored it there.
 *
 * <p>It lives beside the report and the CLI, its only users, so that the runtime does not depend on Arrow.
 */
public final class TraceExport {
    private TraceExport() {
    }

    public static void writeArrow(Map<String, RoutingTrace> traces, Path file) {
        try (BufferAllocator allocator = new RootAllocator();
             VectorSchemaRoot root = VectorSchemaRoot.create(schema(), allocator);
             FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     StandardOpenOption.TRUNCATE_EXISTING);
             ArrowFileWriter writer = new ArrowFileWriter(root, null, channel)) {
            writer.start();
            for (Map.Entry<String, RoutingTrace> entry : traces.entrySet()) {
                List<Row> rows = rows(entry.getKey(), entry.getValue());
                fill(root, rows);
                writer.writeBatch();
            }
            writer.end();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write trace " + file, e);
        }
    }

    private record Row(String schedule, int step, String phase, int layer, int sequenceIndex, boolean processed,
                       Float gate, Float score) {
    }

    private static Schema schema() {
        var utf8 = FieldType.notNullable(new ArrowType.Utf8());
        var int32 = FieldType.notNullable(new ArrowType.Int(32, true));
        var bool = FieldType.notNullable(new ArrowType.Bool());
        var float32 = FieldType.nullable(new ArrowType.FloatingPoint(
                FloatingPointPrecision.SINGLE));
        return new Schema(List.of(
                new Field("schedule", utf8, null),
                new Field("step", int32, null),
                new Field("phase", utf8, null),
                new Field("layer", int32, null),
                new Field("sequence_index", int32, null),
                new Field("processed", bool, null),
                new Field("gate", float32, null),
                new Field("score", float32, null)));
    }

    private static List<Row> rows(String schedule, RoutingTrace trace) {
        List<Row> out = new ArrayList<>();
        for (LayerRecord r : trace.records()) {
            Map<Integer, Integer> processedAt = new LinkedHashMap<>();
            for (int i = 0; i < r.processed().length; i++) {
                processedAt.put(r.processed()[i], i);
            }
            int[] tokens = r.scoredSequenceIndices() != null ? r.scoredSequenceIndices() : r.processed();
            for (int t = 0; t < tokens.length; t++) {
                int seq = tokens[t];
                Integer p = processedAt.get(seq);
                Float gate = p != null && r.gates() != null ? r.gates()[p] : null;
                Float score = r.scores() != null && r.scoredSequenceIndices() != null ? r.scores()[t] : null;
                out.add(new Row(schedule, r.step(), r.phase().name().toLowerCase(), r.layer(), seq, p != null, gate, score));
            }
        }
        return out;
    }

    private static void fill(VectorSchemaRoot root, List<Row> rows) {
        root.allocateNew();
        VarCharVector schedule = (VarCharVector) root.getVector("schedule");
        IntVector step = (IntVector) root.getVector("step");
        VarCharVector phase = (VarCharVector) root.getVector("phase");
        IntVector layer = (IntVector) root.getVector("layer");
        IntVector sequence = (IntVector) root.getVector("sequence_index");
        BitVector processed = (BitVector) root.getVector("processed");
        Float4Vector gate = (Float4Vector) root.getVector("gate");
        Float4Vector score = (Float4Vector) root.getVector("score");
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            schedule.setSafe(i, r.schedule().getBytes(StandardCharsets.UTF_8));
            step.setSafe(i, r.step());
            phase.setSafe(i, r.phase().getBytes(StandardCharsets.UTF_8));
            layer.setSafe(i, r.layer());
            sequence.setSafe(i, r.sequenceIndex());
            processed.setSafe(i, r.processed() ? 1 : 0);
            if (r.gate() != null) {
                gate.setSafe(i, r.gate());
            } else {
                gate.setNull(i);
            }
            if (r.score() != null) {
                score.setSafe(i, r.score());
            } else {
                score.setNull(i);
            }
        }
        root.setRowCount(rows.size());
    }

    /** JSON: {schedule: [{step, phase, layer, rows_in, processed: [...], gates: [...], scored: [...], scores: [...],
     * kv_entries, macs}]}. */
    public static void writeJson(Map<String, RoutingTrace> traces, Path file) {
        Map<String, Object> out = new LinkedHashMap<>();
        traces.forEach((name, trace) -> {
            List<Map<String, Object>> layers = new ArrayList<>();
            for (LayerRecord r : trace.records()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("step", r.step());
                m.put("phase", r.phase().name().toLowerCase());
                m.put("layer", r.layer());
                m.put("rows_in", r.rowsIn());
                m.put("processed", r.processed());
                if (r.gates() != null) {
                    m.put("gates", r.gates());
                }
                if (r.scores() != null) {
                    m.put("scored", r.scoredSequenceIndices());
                    m.put("scores", r.scores());
                }
                m.put("kv_entries", r.kvEntries());
                m.put("macs", r.macs());
                layers.add(m);
            }
            out.put(name, layers);
        });
        try {
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write trace " + file, e);
        }
    }
}
