package dev.mod4j.eval.spark;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mod4j.eval.EvalJob;
import dev.mod4j.eval.EvalQuestion;
import dev.mod4j.eval.Evaluation;
import dev.mod4j.runtime.prompt.PromptRows;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * A task: the questions of one partition answered under the schedules each lacks, on the executor's model (opened
 * once per executor from the broadcast job's paths). Each question's image is encoded once for all its schedules.
 */
final class AnswerPartition implements FlatMapFunction<Iterator<QuestionTodo>, Row> {
    /** Test seam: milliseconds an executor sleeps after each answer, so a test can kill it midway. */
    static final String PAUSE_PROPERTY = "mod4j.eval.pauseMillis";

    private final Broadcast<EvalJob> job;

    AnswerPartition(Broadcast<EvalJob> job) {
        this.job = job;
    }

    @Override
    public Iterator<Row> call(Iterator<QuestionTodo> todo) throws Exception {
        Evaluation evaluation = ExecutorEvaluations.of(job.value());
        long pause = Long.getLong(PAUSE_PROPERTY, 0);
        List<Row> rows = new ArrayList<>();
        while (todo.hasNext()) {
            QuestionTodo t = todo.next();
            EvalQuestion q = evaluation.questions().get(t.question());
            synchronized (ExecutorEvaluations.answering(evaluation)) {
                PromptRows prompt = evaluation.prompt(q);
                for (int s : t.schedules()) {
                    ObjectNode line = evaluation.answer(q, s, prompt);
                    rows.add(AnswersParquet.row(q, evaluation.schedules().get(s), line));
                    if (pause > 0) {
                        Thread.sleep(pause);
                    }
                }
            }
        }
        return rows.iterator();
    }
}
