package dev.mod4j.eval.spark;

import java.io.Serializable;

/** One question still to answer, by its index in the question file, under the schedules (by index) that lack it. */
record QuestionTodo(int question, int[] schedules) implements Serializable {
}
