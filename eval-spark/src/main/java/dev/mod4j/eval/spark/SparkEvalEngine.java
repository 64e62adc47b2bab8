package dev.mod4j.eval.spark;

import dev.mod4j.eval.AnswerFile;
import dev.mod4j.eval.EvalEngine;
import dev.mod4j.eval.EvalJob;
import dev.mod4j.eval.EvalQuestion;
import dev.mod4j.eval.Evaluation;
import dev.mod4j.eval.ProgressBar;
import dev.mod4j.loaders.InvalidInputException;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code mod4j eval --engine spark}: the evaluation as an Apache Spark job. Embedded ({@code local[N]}, all
 * processors by default) unless a master is given ({@code --engine-option master=spark://host:7077}) or the job
 * was started by {@code spark-submit}, which sets {@code spark.master}. The driver works out which (question,
 * schedule) pairs the answers files lack, partitions those questions, and each executor answers its partitions on
 * its own memory-mapped copy of the model; the answers are committed as Parquet and then appended to LLaVA's
 * answer JSONL files, which the plain {@code eval} reads and resumes the same way.
 */
public final class SparkEvalEngine implements EvalEngine {
    /** What executors need to run mod4j's kernels (the Vector API, native access for the memory-mapped weights). */
    static final String EXECUTOR_JAVA_OPTIONS = "--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED"
            + " --add-opens=java.base/java.nio=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow";

    @Override
    public String name() {
        return "spark";
    }

    @Override
    public Evaluation.RunSummary run(EvalJob job, Evaluation evaluation, Map<String, String> options, PrintWriter out,
                                     PrintWriter err) {
        // In local mode the executors are this process: they answer with the model the driver opened.
        ExecutorEvaluations.register(job, evaluation);
        evaluation.checkImages();
        try {
            Files.createDirectories(AnswersParquet.folder(evaluation).getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the answers folder", e);
        }
        SparkSession spark = session(options);
        try {
            JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            int recovered = AnswersParquet.toJsonLines(spark, evaluation);
            List<QuestionTodo> todo = new ArrayList<>();
            int already = -recovered;
            List<AnswerFile> files = new ArrayList<>();
            try {
                for (String s : evaluation.schedules()) {
                    files.add(AnswerFile.open(evaluation.answersFile(s)));
                }
                List<EvalQuestion> questions = evaluation.questions();
                for (int i = 0; i < questions.size(); i++) {
                    List<Integer> missing = new ArrayList<>();
                    for (int s = 0; s < files.size(); s++) {
                        if (files.get(s).isAnswered(questions.get(i).key())) {
                            already++;
                        } else {
                            missing.add(s);
                        }
                    }
                    if (!missing.isEmpty()) {
                        todo.add(new QuestionTodo(i, missing.stream().mapToInt(Integer::intValue).toArray()));
                    }
                }
            } finally {
                files.forEach(AnswerFile::close);
            }
            if (todo.isEmpty()) {
                return new Evaluation.RunSummary(recovered, already);
            }
            int partitions = partitions(options, jsc, todo.size());
            ProgressBar bar = ProgressBar.forTerminal(err, "eval (spark, partitions)", partitions);
            spark.sparkContext().addSparkListener(new SparkListener() {
                @Override
                public void onTaskEnd(SparkListenerTaskEnd end) {
                    if (end.taskInfo().successful()) {
                        synchronized (bar) {
                            bar.step();
                        }
                    }
                }
            });
            Broadcast<EvalJob> shared = jsc.broadcast(job);
            JavaRDD<Row> answers = jsc.parallelize(todo, partitions).mapPartitions(new AnswerPartition(shared));
            spark.createDataFrame(answers, AnswersParquet.SCHEMA).write().mode(SaveMode.Append)
                    .parquet(AnswersParquet.folder(evaluation).toString());
            bar.finish();
            int written = AnswersParquet.toJsonLines(spark, evaluation);
            return new Evaluation.RunSummary(written + recovered, already);
        } finally {
            spark.stop();
        }
    }

    private static SparkSession session(Map<String, String> options) {
        SparkConf conf = new SparkConf(true).setAppName("mod4j eval");
        if (options.containsKey("master")) {
            conf.setMaster(options.get("master"));
        } else if (!conf.contains("spark.master")) {
            conf.setMaster("local[" + Runtime.getRuntime().availableProcessors() + "]");
        }
        options.forEach((k, v) -> {
            if (k.startsWith("spark.")) {
                conf.set(k, v);
            } else if (!k.equals("master") && !k.equals("partitions")) {
                throw new InvalidInputException("--engine-option", "unknown spark engine option '" + k
                        + "' (known: master, partitions, spark.*)");
            }
        });
        String executorOptions = conf.get("spark.executor.extraJavaOptions", "");
        if (!executorOptions.contains("jdk.incubator.vector")) {
            conf.set("spark.executor.extraJavaOptions", (EXECUTOR_JAVA_OPTIONS + " " + executorOptions).strip());
        }
        conf.setIfMissing("spark.ui.enabled", "false");
        return SparkSession.builder().config(conf).getOrCreate();
    }

    private static int partitions(Map<String, String> options, JavaSparkContext jsc, int questions) {
        if (options.containsKey("partitions")) {
            try {
                int n = Integer.parseInt(options.get("partitions"));
                if (n >= 1) {
                    return Math.min(n, questions);
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new InvalidInputException("--engine-option", "partitions must be a positive integer, got '"
                    + options.get("partitions") + "'");
        }
        // A few partitions per slot, so a lost executor costs little and the slots stay busy to the end.
        return Math.max(1, Math.min(questions, 4 * jsc.defaultParallelism()));
    }
}
