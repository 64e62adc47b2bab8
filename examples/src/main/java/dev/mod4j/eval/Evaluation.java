package dev.mod4j.eval;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mod4j.api.Answer;
import dev.mod4j.api.ImageInput;
import dev.mod4j.api.Llava;
import dev.mod4j.loaders.InvalidInputException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.mod4j.eval.score.BenchmarkScore;
import dev.mod4j.eval.score.BenchmarkScorer;
import dev.mod4j.eval.score.ScoringInput;
import dev.mod4j.runtime.accounting.FlopsConvention;
import dev.mod4j.runtime.accounting.ModelShape;
import dev.mod4j.runtime.generate.PromptEncoder;
import dev.mod4j.runtime.generate.SamplingOptions;
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
    private final AnswerPaths answerPaths;
    private final String modelId;
    private final int maxNewTokens;
    private final SamplingOptions sampling;
    private final ModelShape shape;

    /**
     * Where the answers go: one file per schedule in {@code folder} ({@link #answersFile(Path, String)}), or, as
     * LLaVA's {@code --answers-file}, {@code file} itself when there is one schedule and {@code file}'s name with
     * {@code -SPEC} before the extension for each of several.
     */
    public record AnswerPaths(Path folder, Path file) {
        public static AnswerPaths inFolder(Path folder) {
            return new AnswerPaths(folder, null);
        }

        public static AnswerPaths asFile(Path file) {
            Path parent = file.toAbsolutePath().getParent();
            return new AnswerPaths(parent, file);
        }

        public Path of(String spec, int schedules) {
            if (file == null) {
                return answersFile(folder, spec);
            }
            if (schedules == 1) {
                return file;
            }
            String name = file.getFileName().toString();
            int dot = name.lastIndexOf('.');
            String stem = dot > 0 ? name.substring(0, dot) : name;
            String ext = dot > 0 ? name.substring(dot) : "";
            return folder.resolve(stem + "-" + spec.replaceAll("[^A-Za-z0-9.\\-]", "_") + ext);
        }
    }

    /**
     * @param schedules comma-separated schedule specs, e.g. {@code dense,fastv,pdrop}
     * @param modelId   written into every answer's {@code model_id}
     */
    public Evaluation(Llava llava, List<EvalQuestion> questions, Path imageFolder, String schedules, Path answersDir,
                      String modelId, int maxNewTokens) {
        this(llava, questions, imageFolder, schedules, AnswerPaths.inFolder(answersDir), modelId, maxNewTokens,
                SamplingOptions.GREEDY);
    }

    public Evaluation(Llava llava, List<EvalQuestion> questions, Path imageFolder, String schedules,
                      AnswerPaths answerPaths, String modelId, int maxNewTokens, SamplingOptions sampling) {
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
        this.answerPaths = answerPaths;
        this.modelId = modelId;
        this.sampling = sampling;
        this.shape = ModelShape.of(llava.model().decoder().config());
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

    /** This evaluation's answers file of schedule {@code spec}. */
    public Path answersFile(String spec) {
        return answerPaths.of(spec, names.size());
    }

    public List<EvalQuestion> questions() {
        return questions;
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
            Files.createDirectories(answerPaths.folder());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + answerPaths.folder(), e);
        }
        long pause = Long.getLong(PAUSE_PROPERTY, 0);
        List<AnswerFile> files = new ArrayList<>();
        try {
            int already = 0;
            int todo = 0;
            for (String name : names) {
                AnswerFile f = AnswerFile.open(answersFile(name));
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
                        prompt = prompt(q);
                    }
                    file.append(answer(q, s, prompt));
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

    /** The question's prompt (image encoded), to answer under every schedule. */
    public PromptRows prompt(EvalQuestion q) {
        ImageInput image = q.image() == null ? null : ImageInput.of(imageFolder.resolve(q.image()));
        return llava.prompt(image, questionText(q));
    }

    /** The answer line of question {@code q} under the {@code schedule}-th schedule, in LLaVA's answer format. */
    public ObjectNode answer(EvalQuestion q, int schedule, PromptRows prompt) {
        Answer answer = llava.request(prompt, q.text())
                .schedule(Schedules.create(specs.get(schedule), llava.model().decoder().files()))
                .maxNewTokens(maxNewTokens)
                .sampling(sampling)
                .ask();
        return answerLine(q, answer, names.get(schedule));
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
        metadata.put("prefill_flops_ratio", answer.run().prefillFlops(FlopsConvention.EXACT, shape).ratioToDense());
        return line;
    }

    /**
     * The results table, one row per schedule, from the answers files as they are now: scored by {@code scorer}
     * (with {@code annotations}, which may be null), or, without a scorer, by the questions' inline ground truth.
     */
    public List<EvalResult> table(BenchmarkScorer scorer, Path annotations) {
        List<EvalResult> rows = new ArrayList<>();
        for (String name : names) {
            Path file = answersFile(name);
            Map<String, JsonNode> lines = AnswerFile.readLines(file);
            BenchmarkScore score;
            if (scorer != null) {
                score = scorer.score(new ScoringInput(questions, lines, annotations));
            } else {
                Result r = result(name, file, lines);
                score = new BenchmarkScore("accuracy", "accuracy", 100 * r.accuracy(), r.answered(), questions.size(),
                        Map.of("graded", (double) r.graded(), "correct", (double) r.correct()));
            }
            rows.add(EvalResult.of(name, file, score, lines, questions.size()));
        }
        return rows;
    }

    /** Accuracy per schedule, from the answers files as they are now (every run so far). */
    public List<Result> results() {
        List<Result> out = new ArrayList<>();
        for (String name : names) {
            Path file = answersFile(name);
            out.add(result(name, file, AnswerFile.readLines(file)));
        }
        return out;
    }

    private Result result(String name, Path file, Map<String, JsonNode> answers) {
        int graded = 0;
        int correct = 0;
        int answered = 0;
        for (EvalQuestion q : questions) {
            JsonNode line = answers.get(q.key());
            if (line == null) {
                continue;
            }
            answered++;
            Optional<Boolean> grade = AnswerGrader.grade(q.groundTruth(), line.path("text").asText());
            if (grade.isPresent()) {
                graded++;
                correct += grade.get() ? 1 : 0;
            }
        }
        return new Result(name, file, answered, graded, correct);
    }
}
