package dev.mod4j.cli;

import dev.mod4j.loaders.OutputFiles;
import dev.mod4j.api.Llava;
import dev.mod4j.eval.EvalQuestion;
import dev.mod4j.eval.Evaluation;
import dev.mod4j.eval.ProgressBar;
import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.safetensors.LoadMode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code mod4j eval}: a question set in LLaVA's evaluation format, answered under several schedules, resumable. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Answer a LLaVA-format question file (JSONL: question_id, image, text[, answer]) under each"
                + " schedule; answers go to DIR/answers-SCHEDULE.jsonl in LLaVA's answer format.",
                "Resumable: run the same command again after an interruption and only the missing answers are made.",
                "Images: PNG/JPEG (preprocessed as LLaVA-1.5 does) or .npy pixel values ([1,3,H,W], preprocessed).",
                "With ground truth (answer, gt_answer, ground_truth or label: a letter, yes/no, or a short answer)"
                        + " it prints accuracy per schedule."})
final class EvalCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    Mod4j.CommonOptions common;

    @Option(names = "--model", required = true, paramLabel = "DIR",
            description = "Model directory (config.json + *.safetensors + tokenizer.json).")
    Path model;

    @Option(names = "--vision-tower", paramLabel = "DIR",
            description = "Original LLaVA layout: the CLIP checkpoint directory (default: from mm_vision_tower).")
    Path visionTower;

    @Option(names = "--load", paramLabel = "MODE", defaultValue = "mmap", description = "mmap or copy. Default: ${DEFAULT-VALUE}.")
    String load;

    @Option(names = "--threads", paramLabel = "N",
            description = "CPU threads (default: all available processors).")
    Integer threads;

    @Option(names = "--template", paramLabel = "NAME",
            description = "chat (the checkpoint's own chat template; also: hf), vicuna_v1 or plain (default: chat when the"
                    + " checkpoint has one, else vicuna_v1 for LLaVA models).")
    String template;

    @Option(names = "--questions", required = true, paramLabel = "FILE.jsonl",
            description = "The questions, one JSON object per line.")
    Path questions;

    @Option(names = "--image-folder", paramLabel = "DIR",
            description = "Where the questions' images are (default: beside the questions file).")
    Path imageFolder;

    @Option(names = "--schedules", paramLabel = "LIST", defaultValue = "dense",
            description = "Comma-separated schedule specs, e.g. dense,fastv,pdrop,gmod,pmod. Default: ${DEFAULT-VALUE}.")
    String schedules;

    @Option(names = "--answers-out", required = true, paramLabel = "DIR",
            description = "Directory of the answers files (created).")
    Path answersOut;

    @Option(names = "--model-id", paramLabel = "NAME",
            description = "model_id written into each answer (default: the model directory's name).")
    String modelId;

    @Option(names = "--max-new-tokens", paramLabel = "N", defaultValue = "32", description = "Default: ${DEFAULT-VALUE}.")
    int maxNewTokens;

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
        ModelOptions.applyThreads(threads);
        LoadMode mode = ModelOptions.loadMode(load);
        OutputFiles.requireWritableDirectory(answersOut);
        List<EvalQuestion> list = EvalQuestion.read(questions);
        Path images = imageFolder != null ? imageFolder : questions.toAbsolutePath().getParent();
        try (Llava llava = Llava.open(model, visionTower, mode)) {
            if (template != null) {
                llava.template(template);
            }
            String id = modelId != null ? modelId : model.toAbsolutePath().normalize().getFileName().toString();
            Evaluation evaluation = new Evaluation(llava, list, images, schedules, answersOut, id, maxNewTokens);
            Evaluation.RunSummary summary = evaluation.run((label, total) -> new ProgressBar(err, label, total, bars));
            out.printf("eval: %d questions × %d schedules; %d answers written now, %d were there from an earlier run%n",
                    list.size(), evaluation.schedules().size(), summary.written(), summary.alreadyAnswered());
            boolean anyGraded = false;
            out.printf("%-40s %8s %7s %8s %9s  %s%n", "schedule", "answered", "graded", "correct", "accuracy", "answers");
            for (Evaluation.Result r : evaluation.results()) {
                anyGraded |= r.graded() > 0;
                out.printf("%-40s %8d %7d %8d %9s  %s%n", CompareCommand.shorten(r.schedule(), 40), r.answered(),
                        r.graded(), r.correct(), r.graded() == 0 ? "-" : String.format("%.1f%%", 100 * r.accuracy()),
                        r.answers());
            }
            if (!anyGraded) {
                out.println("no ground truth in the questions (answer, gt_answer, ground_truth or label):"
                        + " accuracy not computed.");
            }
        }
        return 0;
    }
}
