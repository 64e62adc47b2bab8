package dev.mod4j.eval;

import java.nio.file.Path;
import java.util.List;

/** Reads a question file by its kind: MMBench's TSV ({@code .tsv}), else LLaVA's question JSONL. */
public final class QuestionFiles {
    private QuestionFiles() {
    }

    /** Whether {@code file} is read as MMBench's TSV. */
    public static boolean isMmbenchTsv(Path file) {
        return file.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".tsv");
    }

    /**
     * The questions of {@code file}; for an MMBench TSV, asked as {@code mmbench} says, with the rows' images written
     * into {@code imageFolder}.
     */
    public static List<EvalQuestion> read(Path file, Path imageFolder, MmbenchPrompt mmbench) {
        return isMmbenchTsv(file) ? MmbenchTsv.read(file, imageFolder, mmbench) : EvalQuestion.read(file);
    }
}
