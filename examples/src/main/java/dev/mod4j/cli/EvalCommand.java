package dev.mod4j.cli;

import dev.mod4j.loaders.progress.ProgressListener;
import dev.mod4j.loaders.OutputFiles;
import dev.mod4j.api.Llava;
import dev.mod4j.eval.EvalEngine;
import dev.mod4j.eval.EvalJob;
import dev.mod4j.eval.EvalQuestion;
import dev.mod4j.eval.EvalResult;
import dev.mod4j.eval.Evaluation;
import dev.mod4j.eval.MmbenchPrompt;
import dev.mod4j.eval.QuestionFiles;
import dev.mod4j.eval.ProgressBar;
import dev.mod4j.eval.StandardErrorTerminal;
import dev.mod4j.eval.score.BenchmarkScorer;
import dev.mod4j.eval.score.BenchmarkScorers;
import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.report.EvalResultsReport;
import dev.mod4j.runtime.generate.SamplingOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;

/** {@code mod4j eval}: a question set in LLaVA's evaluation format, answered under several schedules, resumable. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Answer a LLaVA-format question file (JSONL: question_id, image, text[, answer]) under each"
                + " schedule, in LLaVA's answer format (flags as llava/eval/model_vqa_loader.py names them).",
                "Resumable: run the same command again after an interruption and only the missing answers are made.",
                "Images: PNG/JPEG (preprocessed as LLaVA-1.5 does) or .npy pixel values ([1,3,H,W], preprocessed).",
                "Scores: --benchmark pope|mme|gqa|textvqa|vqav2|scienceqa|mmbench|seed as the benchmark's own script"
                        + " scores it; without it, accuracy on inline ground truth (answer, gt_answer, ground_truth or"
                        + " label). The results table goes to results.csv, results.json and results.html beside the"
                        + " answers.",
                "--engine spark runs the same evaluation as an Apache Spark job (needs mod4j-eval-spark on the class"
                        + " path)."})
final class EvalCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    Mod4j.CommonOptions common;

    @Option(names = {"--model", "--model-path"}, required = true, paramLabel = "DIR",
            description = "Model directory (config.json + *.safetensors + tokenizer.json).")
    Path model;

    @Option(names = "--vision-tower", paramLabel = "DIR",
            description = "Original LLaVA layout: the CLIP checkpoint directory (default: from mm_vision_tower).")
    Path visionTower;

    @Option(names = "--load", paramLabel = "MODE", defaultValue = "mmap", description = "mmap or copy. Default: ${DEFAULT-VALUE}.")
    String load;

    @Option(names = "--weights", paramLabel = "TYPE", description = ModelOptions.WEIGHTS_DESCRIPTION)
    String weights;

    @Option(names = "--threads", paramLabel = "N",
            description = "CPU threads (default: all available processors).")
    Integer threads;

    @Option(names = {"--conv-mode", "--template"}, paramLabel = "NAME",
            description = "vicuna_v1 (LLaVA-1.5's eval scripts), mistral_instruct, plain, or chat (the checkpoint's own"
                    + " chat template; also: hf). Default: chat when the checkpoint has one, else vicuna_v1 for LLaVA"
                    + " models.")
    String template;

    @Option(names = {"--question-file", "--questions"}, required = true, paramLabel = "FILE.jsonl",
            description = "The questions, one JSON object per line; or MMBench's .tsv as downloaded (base64 images).")
    Path questions;

    @Option(names = "--image-folder", paramLabel = "DIR",
            description = "Where the questions' images are (default: beside the questions file). For an MMBench"
                    + " .tsv, where its images are written (default: FOLDER/TSVNAME_images beside the answers).")
    Path imageFolder;

    @Option(names = "--all-rounds",
            description = "MMBench .tsv: ask each question once per option, rotating the options (as"
                    + " model_vqa_mmbench.py); --benchmark mmbench then scores circularly.")
    boolean allRounds;

    @Option(names = "--single-pred-prompt",
            description = "MMBench .tsv: end each question with the instruction to answer with the option's letter.")
    boolean singlePredPrompt;

    @Option(names = "--lang", paramLabel = "en|cn", defaultValue = "en",
            description = "MMBench .tsv: the language of --single-pred-prompt's instruction. Default: ${DEFAULT-VALUE}.")
    String lang;

    @Option(names = "--schedules", paramLabel = "LIST", defaultValue = "dense",
            description = "Comma-separated schedule specs, e.g. dense,fastv,pdrop,gmod,pmod. Default: ${DEFAULT-VALUE}.")
    String schedules;

    @Option(names = "--answers-file", paramLabel = "FILE.jsonl",
            description = "The answers file (one schedule), or the name the answers files of several schedules take"
                    + " with -SCHEDULE before .jsonl.")
    Path answersFile;

    @Option(names = "--answers-out", paramLabel = "DIR",
            description = "Instead of --answers-file: a directory with answers-SCHEDULE.jsonl per schedule.")
    Path answersOut;

    @Option(names = "--model-id", paramLabel = "NAME",
            description = "model_id written into each answer (default: the model directory's name).")
    String modelId;

    @Option(names = {"--max_new_tokens", "--max-new-tokens"}, paramLabel = "N", defaultValue = "128",
            description = "Default: ${DEFAULT-VALUE} (as model_vqa_loader.py).")
    int maxNewTokens;

    @Option(names = "--temperature", paramLabel = "T", defaultValue = "0",
            description = "0 answers greedily, as LLaVA's eval scripts pass it. Default: ${DEFAULT-VALUE}.")
    double temperature;

    @Option(names = "--benchmark", paramLabel = "NAME",
            description = "Score as this benchmark's official script does: pope, mme, gqa, textvqa, vqav2, scienceqa,"
                    + " mmbench or seed.")
    String benchmark;

    @Option(names = "--annotations", paramLabel = "PATH",
            description = "The benchmark's ground truth: POPE's coco/ folder, MME_Benchmark_release_version/, GQA's"
                    + " questions JSON, TextVQA_0.5.1_val.json, VQA's annotations JSON, ScienceQA's data folder or"
                    + " SEED-Bench.json (default: the ground truth in the question lines).")
    Path annotations;

    @Option(names = "--engine", paramLabel = "NAME", defaultValue = "local",
            description = "local (this process) or spark (an Apache Spark job: embedded local[N] unless"
                    + " --engine-option master=... or spark-submit says otherwise). Default: ${DEFAULT-VALUE}.")
    String engine;

    @Option(names = "--engine-option", paramLabel = "KEY=VALUE",
            description = "An engine setting, repeatable: for spark, master=local[4], partitions=N, and any spark.*"
                    + " property.")
    Map<String, String> engineOptions = new LinkedHashMap<>();

    @Option(names = "--progress", paramLabel = "WHEN", defaultValue = "auto",
            description = "auto (a progress bar on stderr when it is a terminal), always or never. Default: ${DEFAULT-VALUE}.")
    String progress;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        boolean bars = switch (progress) {
            case "auto" -> ProgressBar.isTerminal();
            case "always" -> true;
            case "never" -> false;
            default -> throw new InvalidInputException("--progress", "expected auto, always or never, got '" + progress + "'");
        };
        if ((answersFile == null) == (answersOut == null)) {
            throw new InvalidInputException("--answers-file", "give either --answers-file FILE or --answers-out DIR");
        }
        BenchmarkScorer scorer = benchmark == null ? null : BenchmarkScorers.of(benchmark);
        SamplingOptions sampling = new SamplingOptions(temperature, 0, 1, 0);
        ModelOptions.applyThreads(threads);
        ModelOptions.loadMode(load);
        DType quantized = ModelOptions.weights(weights);
        if (answersOut != null) {
            OutputFiles.requireWritableDirectory(answersOut);
        }
        boolean tsv = QuestionFiles.isMmbenchTsv(questions);
        MmbenchPrompt mmbench = new MmbenchPrompt(allRounds, singlePredPrompt, lang);
        if (!tsv && !mmbench.equals(MmbenchPrompt.DEFAULT)) {
            throw new InvalidInputException("--question-file", "--all-rounds, --single-pred-prompt and --lang apply to"
                    + " an MMBench .tsv question file; " + questions + " is not one");
        }
        String id = modelId != null ? modelId : model.toAbsolutePath().normalize().getFileName().toString();
        Path folder = answersFile != null ? answersFile.toAbsolutePath().getParent() : answersOut;
        String stem = questions.getFileName().toString().replaceFirst("(?i)\\.tsv$", "");
        Path images = imageFolder != null ? imageFolder
                : tsv ? folder.resolve(stem + "_images") : questions.toAbsolutePath().getParent();
        List<EvalQuestion> list = QuestionFiles.read(questions, images, mmbench);
        EvalJob job = EvalJob.of(model, visionTower, ModelOptions.loadMode(load), quantized, threads, template, questions,
                images, schedules, folder, answersFile, id, maxNewTokens, temperature, mmbench);
        EvalEngine remote = null;
        if (!engine.equals("local")) {
            remote = EvalEngine.find(engine);
            if (remote == null) {
                throw new InvalidInputException("--engine", "no engine '" + engine + "' on the class path"
                        + (engine.equals("spark") ? " (add mod4j-eval-spark's jar, see eval-spark/README.md)" : ""));
            }
        }
        try (Llava llava = Llava.open(model, visionTower, job.loadMode(), job.weights())) {
            if (template != null) {
                llava.template(template);
            }
            Evaluation evaluation = new Evaluation(llava, list, images, schedules, job.answerPaths(), id,
                    maxNewTokens, sampling);
            // The terminal bin/mod4j names when there is one (its standard error is filtered line by line).
            PrintWriter barOut = Objects.requireNonNullElse(StandardErrorTerminal.writer(err), err);
            EvalEngine engineRun = remote;
            // Eval's own bars only: the vision tower's inside them would redraw the same line.
            Evaluation.RunSummary summary = ScopedValue.where(ProgressListener.CURRENT, ProgressListener.NONE).call(() ->
                    engineRun != null ? engineRun.run(job, evaluation, engineOptions, out, err)
                            : evaluation.run((label, total) -> new ProgressBar(barOut, label, total, bars)));
            out.printf("eval: %d questions × %d schedules; %d answers written now, %d were there from an earlier run%n",
                    list.size(), evaluation.schedules().size(), summary.written(), summary.alreadyAnswered());
            List<EvalResult> table = evaluation.table(scorer, annotations);
            printTable(out, table, scorer == null);
            if (scorer != null) {
                List<Path> toolInputs = evaluation.writeToolInputs(scorer, annotations);
                if (!toolInputs.isEmpty()) {
                    out.println("for " + scorer.name() + "'s own evaluation tool: "
                            + toolInputs.getFirst().getParent().getParent());
                }
            }
            Path page = EvalResultsReport.write(folder, "mod4j eval: " + id, table);
            out.println("results: " + page.resolveSibling("results.csv") + ", results.json, results.html");
        }
        return 0;
    }

    private static void printTable(PrintWriter out, List<EvalResult> table, boolean inline) {
        boolean anyScored = false;
        if (inline) {
            out.printf("%-40s %8s %7s %8s %9s %10s %7s %10s  %s%n", "schedule", "answered", "graded", "correct",
                    "accuracy", "prefill ms", "FLOPs", "KV bytes", "answers");
        } else {
            out.printf("%-40s %8s %-18s %9s %10s %7s %10s  %s%n", "schedule", "answered", "metric", "score",
                    "prefill ms", "FLOPs", "KV bytes", "answers");
        }
        for (EvalResult r : table) {
            anyScored |= !Double.isNaN(r.score());
            String costs = String.format("%10s %7s %10s",
                    Double.isNaN(r.meanPrefillMillis()) ? "-" : String.format("%.1f", r.meanPrefillMillis()),
                    Double.isNaN(r.flopsRatio()) ? "-" : String.format("%.1f%%", 100 * r.flopsRatio()),
                    Double.isNaN(r.meanKvCacheBytes()) ? "-" : String.format("%.0f", r.meanKvCacheBytes()));
            String name = CompareCommand.shorten(r.schedule(), 40);
            if (inline) {
                out.printf("%-40s %8d %7.0f %8.0f %9s %s  %s%n", name, r.answered(), r.details().get("graded"),
                        r.details().get("correct"), Double.isNaN(r.score()) ? "-" : String.format("%.1f%%", r.score()),
                        costs, r.answers());
            } else {
                out.printf("%-40s %8d %-18s %9s %s  %s%n", name, r.answered(), r.metric(),
                        Double.isNaN(r.score()) ? "-" : String.format("%.2f", r.score()), costs, r.answers());
            }
        }
        if (inline && !anyScored) {
            out.println("no ground truth in the questions (answer, gt_answer, ground_truth or label):"
                    + " accuracy not computed.");
        }
    }
}
