package dev.mod4j.cli;

import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.tokenizer.StreamingDecoder;
import dev.mod4j.loaders.tokenizer.Tokenizer;
import dev.mod4j.runtime.generate.GenerationResult;
import dev.mod4j.runtime.generate.Generator;
import dev.mod4j.runtime.generate.SamplingOptions;
import dev.mod4j.runtime.llava.MultimodalModel;
import dev.mod4j.runtime.llava.PreprocessedImage;
import dev.mod4j.runtime.prompt.PromptRows;
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

/** {@code mod4j generate}: prompt (and image) → streamed answer, then one line of statistics on stderr. */
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

    @Option(names = "--temperature", paramLabel = "T", defaultValue = "0",
            description = "0 = greedy (default); > 0 samples.")
    double temperature;

    @Option(names = "--top-k", paramLabel = "K", defaultValue = "0", description = "Keep the K most likely tokens (0: all).")
    int topK;

    @Option(names = "--top-p", paramLabel = "P", defaultValue = "1.0", description = "Nucleus sampling mass (1: off).")
    double topP;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Random seed for sampling.")
    long seed;

    @Option(names = "--greedy", description = "Greedy decoding (the same as --temperature 0).")
    boolean greedy;

    @Option(names = "--print-ids", description = "Print the generated token ids, comma-separated, instead of text"
            + " (also what happens when the model has no tokenizer.json).")
    boolean printIds;

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
        SamplingOptions sampling = greedy ? SamplingOptions.GREEDY : new SamplingOptions(temperature, topK, topP, seed);
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
            List<Integer> eos = model.decoder().config().eosTokenIds();
            long[] firstToken = {0};
            GenerationResult result = Generator.generate(session, prompt, capacity - prompt.length(), eos, sampling,
                    token -> {
                        if (firstToken[0] == 0) {
                            firstToken[0] = System.nanoTime();
                        }
                        if (stream != null) {
                            out.print(stream.next(token));
                            out.flush();
                        }
                    });
            if (stream != null) {
                out.println(stream.finish());
            } else {
                out.println(Arrays.stream(result.tokens()).mapToObj(Integer::toString).collect(Collectors.joining(",")));
            }
            int imageRows = prompt.imageRows().length / model.decoder().config().hiddenSize();
            // The phases llama.cpp's llama_perf separates: load, image encoding, prompt processing, first token, decode.
            err.printf("prompt %d positions (%d image rows) | load %.1f ms | vision tower + projector %.1f ms (%d"
                            + " image%s) | prefill %.1f ms (%.1f positions/s) | time to first token %s | %d new tokens,"
                            + " decode %.2f tokens/s (%.2f ms per token)%s%n",
                    prompt.length(), imageRows, (requestStart - loadStart) / 1e6, towerNanos / 1e6, images.size(),
                    images.size() == 1 ? "" : "s", result.prefillMillis(),
                    prompt.length() / (result.prefillMillis() / 1e3),
                    firstToken[0] == 0 ? "-" : String.format("%.1f ms", (firstToken[0] - requestStart) / 1e6),
                    result.tokens().length, result.decodeTokensPerSecond(),
                    result.decodeTokensPerSecond() > 0 ? 1000 / result.decodeTokensPerSecond() : 0,
                    result.stoppedOnEos() ? ", stopped at eos" : "");
            scheduleOptions.writeTrace(session);
        }
        return 0;
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
