package dev.mod4j.cli;

import dev.mod4j.eval.StandardErrorTerminal;
import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.tokenizer.StreamingDecoder;
import dev.mod4j.loaders.tokenizer.Tokenizer;
import dev.mod4j.runtime.generate.GenerationResult;
import dev.mod4j.runtime.generate.Generator;
import dev.mod4j.runtime.generate.SamplingOptions;
import dev.mod4j.runtime.llava.MultimodalModel;
import dev.mod4j.runtime.llava.PreprocessedImage;
import dev.mod4j.runtime.prompt.PromptRows;
import dev.mod4j.server.StopStrings;
import dev.mod4j.runtime.model.Session;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/** {@code mod4j generate}: prompt (and image) → streamed answer, then one line of statistics on stderr (when it is a
 * terminal, or with {@code --stats}). */
@Command(name = "generate", mixinStandardHelpOptions = true, description = "Generate text from a prompt (and an image).")
final class GenerateCommand implements Callable<Integer> {
    /** Generation budgets beyond this are refused (the context bounds them further). */
    static final int MAX_NEW_TOKENS_LIMIT = 1 << 16;

    @Spec
    CommandSpec spec;

    @Mixin
    Mod4j.CommonOptions common;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    ScheduleOptions scheduleOptions;

    @Option(names = "--max-new-tokens", paramLabel = "N", defaultValue = "128", description = "Default: ${DEFAULT-VALUE}.")
    int maxNewTokens;

    @Mixin
    SamplingFlags samplingFlags;

    @Option(names = "--print-ids", description = "Print the generated token ids, comma-separated, instead of text"
            + " (also what happens when the model has no tokenizer.json).")
    boolean printIds;

    @Option(names = "--stats", description = "Print the statistics line on stderr also when stderr is not a terminal"
            + " (on a terminal it is always printed; piped, a successful run leaves stderr empty).")
    boolean stats;

    @Option(names = "--verbose-prompt", description = "Print the final prompt (after the template) and its token ids"
            + " on stderr before generating.")
    boolean verbosePrompt;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (maxNewTokens < 1 || maxNewTokens > MAX_NEW_TOKENS_LIMIT) {
            throw new InvalidInputException("--max-new-tokens", "must be between 1 and " + MAX_NEW_TOKENS_LIMIT
                    + ", got " + maxNewTokens);
        }
        SamplingOptions sampling = samplingFlags.options();
        if (!samplingFlags.stop.isEmpty() && printIds) {
            throw new InvalidInputException("--stop", "looks for text, but --print-ids prints token ids");
        }
        long loadStart = System.nanoTime();
        try (MultimodalModel model = modelOptions.open()) {
            long requestStart = System.nanoTime();
            List<PreprocessedImage> images = modelOptions.images(model);
            int[] ids = modelOptions.inputIds(model, images.size());
            if (verbosePrompt) {
                printPrompt(err, model, ids);
            }
            long towerStart = System.nanoTime();
            PromptRows prompt = model.promptWithImages(ids, images);
            long towerNanos = System.nanoTime() - towerStart;
            int context = model.decoder().config().maxPositionEmbeddings();
            if (prompt.length() >= context) {
                throw new InvalidInputException("prompt", prompt.length() + " positions (text + image rows) do not fit"
                        + " the model's context of " + context);
            }
            int capacity = Math.min(context, prompt.length() + maxNewTokens);
            Session session = model.decoder().newSession(capacity);
            scheduleOptions.apply(session, model);
            Tokenizer tokenizer = printIds ? null : modelOptions.tokenizerIfPresent();
            StreamingDecoder stream = tokenizer == null ? null : tokenizer.streamingDecoder(true);
            if (stream == null && !samplingFlags.stop.isEmpty()) {
                throw new InvalidInputException("--stop", "looks for text, but the model has no tokenizer");
            }
            StopStrings stops = new StopStrings(samplingFlags.stop, piece -> {
                out.print(piece);
                out.flush();
            });
            List<Integer> eos = model.decoder().config().eosTokenIds();
            long[] firstToken = {0};
            boolean[] stopped = {false};
            GenerationResult result = Generator.generateUntil(session, prompt, capacity - prompt.length(), eos,
                    sampling, token -> {
                        if (firstToken[0] == 0) {
                            firstToken[0] = System.nanoTime();
                        }
                        stopped[0] = stream != null && stops.accept(stream.next(token));
                        return stopped[0];
                    });
            if (stream != null) {
                if (!stopped[0] && !stops.accept(stream.finish())) {
                    stops.finish();
                }
                out.println();
            } else {
                out.println(Arrays.stream(result.tokens()).mapToObj(Integer::toString).collect(Collectors.joining(",")));
            }
            int imageRows = prompt.imageRows().length / model.decoder().config().hiddenSize();
            if (stats || StandardErrorTerminal.isTerminal()) {
                printStatistics(err, prompt.length(), imageRows, requestStart - loadStart, towerNanos, images.size(),
                        result, firstToken[0] == 0 ? -1 : firstToken[0] - requestStart, stopped[0]);
            }
            scheduleOptions.writeTrace(session);
        }
        return 0;
    }

    private static void printStatistics(PrintWriter err, int positions, int imageRows, long loadNanos,
            long towerNanos, int images, GenerationResult result, long firstTokenNanos, boolean stopped) {
        // The phases llama.cpp's llama_perf separates: load, image encoding, prompt processing, first token, decode.
        err.printf("prompt %d positions (%d image rows) | load %.1f ms | vision tower + projector %.1f ms (%d"
                        + " image%s) | prefill %.1f ms (%.1f positions/s) | time to first token %s | %d new tokens,"
                        + " decode %.2f tokens/s (%.2f ms per token)%s%n",
                positions, imageRows, loadNanos / 1e6, towerNanos / 1e6, images,
                images == 1 ? "" : "s", result.prefillMillis(),
                positions / (result.prefillMillis() / 1e3),
                firstTokenNanos < 0 ? "-" : String.format("%.1f ms", firstTokenNanos / 1e6),
                result.tokens().length, result.decodeTokensPerSecond(),
                result.decodeTokensPerSecond() > 0 ? 1000 / result.decodeTokensPerSecond() : 0,
                result.stoppedOnEos() ? ", stopped at eos" : stopped ? ", stopped at a --stop string" : "");
    }

    /** The prompt as the model gets it: the text the ids decode to (image placeholders as {@code <image>}), the ids. */
    private void printPrompt(PrintWriter err, MultimodalModel model, int[] ids) {
        Tokenizer tokenizer = modelOptions.tokenizerIfPresent();
        int placeholder = model.hasVision() ? model.imagePlaceholderId() : Integer.MIN_VALUE;
        StringBuilder text = new StringBuilder();
        int from = 0;
        for (int i = 0; i <= ids.length; i++) {
            if (i == ids.length || ids[i] == placeholder) {
                if (tokenizer != null && i > from) {
                    text.append(tokenizer.decode(Arrays.copyOfRange(ids, from, i), false));
                }
                if (i < ids.length) {
                    text.append("<image>");
                }
                from = i + 1;
            }
        }
        err.println("prompt text: " + (tokenizer == null ? "(no tokenizer)" : text));
        err.println("prompt ids (" + ids.length + "): "
                + Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(",")));
        err.flush();
    }
}
