package dev.mod4j.cli;

import dev.mod4j.api.Comparison;
import dev.mod4j.api.ImageInput;
import dev.mod4j.api.RgbImage;
import dev.mod4j.loaders.tokenizer.Tokenizer;
import dev.mod4j.report.ComparisonReport;
import dev.mod4j.runtime.accounting.FlopsConvention;
import dev.mod4j.runtime.accounting.ModelShape;
import dev.mod4j.runtime.compare.ScheduleRun;
import dev.mod4j.runtime.llava.MultimodalModel;
import dev.mod4j.runtime.llava.PreprocessedImage;
import dev.mod4j.runtime.prompt.PromptRows;

import java.nio.file.Path;
import java.util.List;

/** {@code compare --report DIR}: the command's results as a {@link ComparisonReport}. */
final class CompareReports {
    private CompareReports() {
    }

    static Path write(Path directory, MultimodalModel model, ModelOptions options, List<PreprocessedImage> images,
                      PromptRows prompt, List<ScheduleRun> runs, Tokenizer tokenizer, List<String> skipped,
                      FlopsConvention convention) {
        // The report shows the first image as the tower saw it: the pixel values with CLIP's normalization undone.
        // Not for LLaVA-NeXT: its image rows are a base view plus a tiled, unpadded grid with newline rows, which the
        // single-grid patch strips would misplace (drawing them on the tiled layout is not implemented yet).
        RgbImage picture = images.isEmpty() || !model.hasVision() || model.anyresSettings() != null ? null
                : ImageInput.ofPixels("image", images.getFirst().crop(0)).picture(model);
        String question = options.prompt != null ? options.prompt
                : "(input ids) " + String.join(",", options.inputIds);
        List<String> texts = runs.stream().map(r -> CompareCommand.text(tokenizer, r.generation().tokens())).toList();
        Comparison comparison = new Comparison(options.model.getFileName().toString(), question, picture, prompt,
                ModelShape.of(model.decoder().config()), runs, texts, skipped);
        return ComparisonReport.of(comparison).flops(convention).write(directory);
    }
}
