package dev.mod4j.eval.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mod4j.eval.AnswerFile;
import dev.mod4j.eval.EvalQuestion;
import dev.mod4j.eval.Evaluation;
import dev.mod4j.loaders.InvalidInputException;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The answers as Parquet ({@code answers.parquet/} beside the JSONL files: question key, schedule, text and the whole
 * LLaVA answer line), appended by each job through Spark's commit protocol, so a task an executor lost and Spark
 * ran again is committed once. The LLaVA answer JSONL files are made from it on the driver, each answer appended
 * only when its file lacks it: a job whose driver stopped after the Parquet commit and before the JSONL is completed
 * by the next one.
 */
final class AnswersParquet {
    static final StructType SCHEMA = new StructType()
            .add("question_key", DataTypes.StringType, false)
            .add("schedule", DataTypes.StringType, false)
            .add("text", DataTypes.StringType, false)
            .add("line", DataTypes.StringType, false);
    private static final ObjectMapper JSON = new ObjectMapper();

    private AnswersParquet() {
    }

    static Path folder(Evaluation evaluation) {
        return evaluation.answersFile(evaluation.schedules().getFirst()).toAbsolutePath().getParent()
                .resolve("answers.parquet");
    }

    static Row row(EvalQuestion q, String schedule, ObjectNode line) {
        return RowFactory.create(q.key(), schedule, line.path("text").asText(), line.toString());
    }

    /** Appends to the JSONL files every Parquet answer they lack; returns how many. */
    static int toJsonLines(SparkSession spark, Evaluation evaluation) {
        Path parquet = folder(evaluation);
        if (!Files.isDirectory(parquet) || !Files.exists(parquet.resolve("_SUCCESS"))
                && listParquet(parquet).isEmpty()) {
            return 0;
        }
        Map<String, List<Row>> bySchedule = new HashMap<>();
        for (Row r : spark.read().schema(SCHEMA).parquet(parquet.toString()).collectAsList()) {
            bySchedule.computeIfAbsent(r.getString(1), k -> new ArrayList<>()).add(r);
        }
        int written = 0;
        for (String schedule : evaluation.schedules()) {
            List<Row> rows = bySchedule.getOrDefault(schedule, List.of());
            if (rows.isEmpty()) {
                continue;
            }
            // Question-file order, as the plain eval writes them.
            Map<String, Row> byKey = new HashMap<>();
            rows.forEach(r -> byKey.putIfAbsent(r.getString(0), r));
            try (AnswerFile file = AnswerFile.open(evaluation.answersFile(schedule))) {
                for (EvalQuestion q : evaluation.questions()) {
                    Row r = byKey.get(q.key());
                    if (r != null && !file.isAnswered(q.key())) {
                        file.append(parse(r.getString(3)));
                        written++;
                    }
                }
            }
        }
        return written;
    }

    private static List<Path> listParquet(Path folder) {
        try (var files = Files.list(folder)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".parquet")).toList();
        } catch (IOException e) {
            throw new InvalidInputException(folder.toString(), "cannot list: " + e.getMessage(), e);
        }
    }

    private static ObjectNode parse(String line) {
        try {
            JsonNode node = JSON.readTree(line);
            return (ObjectNode) node;
        } catch (IOException e) {
            throw new IllegalStateException("an answer in answers.parquet is not JSON", e);
        }
    }
}
