package dev.mod4j.eval;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mod4j.api.Answer;
import dev.mod4j.api.ImageInput;
import dev.mod4j.api.Llava;
import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.runtime.generate.PromptEncoder;
import dev.mod4j.runtime.prompt.PromptRows;
import dev.mod4j.runtime.schedule.ScheduleSpec;
import dev.mod4j.runtime.schedule.Schedules;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * A question set answered under several schedules, one answers file per schedule ({@link #answersFile}), resumable:
 * questions a file already answers are skipped, so a run stopped at any point and started again with the same
 * arguments ends with every question answered exactly once per schedule.
 *
 * <p>Images: {@code image} names a file in the image folder: a PNG or JPEG (decoded and preprocessed as LLaVA-1.5
 * does), or a {@code .npy} of pixel values already preprocessed. Each question's image is encoded once and its
 * prompt reused for every schedule.
 */
public final class Evaluation {
    /** Test seam: milliseconds to sleep after each answer, so a test can interrupt a run midway. */
    static final String PAUSE_PROPERTY = "mod4j.eval.pauseMillis";

    /** One schedule's answers and how many were right. */
    public record Result(String schedule, Path answers, int answered, int graded, int correct) {
        /** Share correct of the graded answers, NaN when none had ground truth. */
        public double accuracy() {
            return graded == 0 ? Double.NaN : correct / (double) graded;
        }
    }

    /** What a run did: answers written now, answers found from earlier runs. */
    public record RunSummary(int written, int alreadyAnswered) {
    }

    private final Llava llava;
    private final List<EvalQuestion> questions;
    private final Path imageFolder;
    private final List<ScheduleSpec> specs;
    private final List<String> names;
    private final Path answersDir;
    private final String modelId;
    private final int maxNewTokens;

    /**
     * @param schedules comma-separated schedule specs, e.g. {@code dense,fastv,pdrop}
     * @param modelId   written into every answer's {@code model_id}
     */
    public Evaluation(Llava llava, List<EvalQuestion> questions, Path imageFolder, String schedules, Path answersDir,
                      String modelId, int maxNewTokens) {
        this.llava = llava;
        this.questions = List.copyOf(questions);
        this.imageFolder = imageFolder;
        this.specs = ScheduleSpec.parseList(schedules);
        this.names = new ArrayList<>();
        for (ScheduleSpec s : specs) {
            String name = Schedules.create(s, llava.model().decoder().files()).spec();
            if (names.contains(name)) {
                throw new InvalidInputException("--schedules", "'" + name + "' is listed twice");
            }
            names.add(name);
        }
        this.answersDir = answersDir;
        this.modelId = modelId;
        if (maxNewTokens < 1) {
            throw new InvalidInputException("--max-new-tokens", "must be at least 1, got " + maxNewTokens);
        }
        this.maxNewTokens = maxNewTokens;
    }

    /** The schedules' canonical specs, in order. */
    public List<String> schedules() {
        return List.copyOf(names);
    }

    /** {@code answers-SPEC.jsonl}, the spec's characters other than letters, digits, '.' and '-' replaced by '_'. */
    public static Path answersFile(Path answersDir, String spec) {
        return answersDir.resolve("answers-" + spec.replaceAll("[^A-Za-z0-9.\\-]", "_") + ".jsonl");
    }

    /** Checks that every question's image exists, is a regular file and within its limit, before anything runs. */
    public void checkImages() {
        for (EvalQuestion q : questions) {
            if (q.image() == null) {
                continue;
            }
            Path image = imageFolder.resolve(q.image());
            if (!Files.exists(image)) {
                throw new InvalidInputException(image.toString(), "image of question " + q.id() + " not found");
            }
            dev.mod4j.loaders.SmallFiles.checkReadable(image, dev.mod4j.loaders.FileLimit.IMAGE);
        }
    }

    /** Answers what the answers files do not yet hold; {@code progress} steps once per answer written. */
    public RunSummary run(ProgressBar.Factory progress) {
        checkImages();
        try {
            Files.createDirectories(answersDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + answersDir, e);
        }
        long pause = Long.getLong(PAUSE_PROPERTY, 0);
        List<AnswerFile> files = new ArrayList<>();
        try {
            int already = 0;
            int todo = 0;
            for (String name : names) {
                AnswerFile f = AnswerFile.open(answersFile(answersDir, name));
                files.add(f);
                for (EvalQuestion q : questions) {
                    if (f.isAnswered(q.key())) {
                        already++;
                    } else {
                        todo++;
                    }
                }
            }
            ProgressBar bar = progress.create("eval", todo);
            int written = 0;
            for (EvalQuestion q : questions) {
                PromptRows prompt = null;
                for (int s = 0; s < specs.size(); s++) {
                    AnswerFile file = files.get(s);
                    if (file.isAnswered(q.key())) {
                        continue;
                    }
                    if (prompt == null) {
                        ImageInput image = q.image() == null ? null : ImageInput.of(imageFolder.resolve(q.image()));
                        prompt = llava.prompt(image, questionText(q));
                    }
                    Answer answer = llava.request(prompt, q.text())
                            .schedule(Schedules.create(specs.get(s), llava.model().decoder().files()))
                            .maxNewTokens(maxNewTokens)
                            .ask();
                    file.append(answerLine(q, answer, names.get(s)));
                    written++;
                    bar.step();
                    if (pause > 0) {
                        Thread.sleep(pause);
                    }
                }
            }
            bar.finish();
            return new RunSummary(written, already);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } finally {
            files.forEach(AnswerFile::close);
        }
    }

    /** The question as the template gets it: LLaVA's loader adds the image marker itself, so one in the text goes. */
    private static String questionText(EvalQuestion q) {
        return q.text().replace(PromptEncoder.IMAGE_MARKER + "\n", "").replace(PromptEncoder.IMAGE_MARKER, "");
    }

    private ObjectNode answerLine(EvalQuestion q, Answer answer, String schedule) {
        ObjectNode line = JsonNodeFactory.instance.objectNode();
        line.set("question_id", q.id());
        line.put("prompt", q.text());
        line.put("text", answer.text().strip());
        line.put("answer_id", UUID.randomUUID().toString());
        line.put("model_id", modelId);
        ObjectNode metadata = line.putObject("metadata");
        metadata.put("schedule", schedule);
        metadata.put("new_tokens", answer.tokens().length);
        metadata.put("prefill_ms", answer.prefillMillis());
        metadata.put("prefill_macs", answer.prefillMacs());
        metadata.put("kv_cache_bytes", answer.kvCacheBytes());
        return line;
    }

    /** Accuracy per schedule, from the answers files as they are now (every run so far). */
    public List<Result> results() {
        List<Result> out = new ArrayList<>();
        for (String name : names) {
            Path file = answersFile(answersDir, name);
            Map<String, String> answers = AnswerFile.read(file);
            int graded = 0;
            int correct = 0;
            int answered = 0;
            for (EvalQuestion q : questions) {
                String text = answers.get(q.key());
                if (text == null) {
                    continue;
                }
                answered++;
                Optional<Boolean> grade = AnswerGrader.grade(q.groundTruth(), text);
                if (grade.isPresent()) {
                    graded++;
                    correct += grade.get() ? 1 : 0;
                }
            }
            out.add(new Result(name, file, answered, graded, correct));
        }
        return out;
    }
}
