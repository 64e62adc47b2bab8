package dev.mod4j.cli;

import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.image.ImageDecoder;
import dev.mod4j.loaders.tokenizer.StreamingDecoder;
import dev.mod4j.loaders.tokenizer.Tokenizer;
import dev.mod4j.runtime.generate.ChatTurn;
import dev.mod4j.runtime.generate.Generator;
import dev.mod4j.runtime.generate.PromptFormat;
import dev.mod4j.runtime.generate.SamplingOptions;
import dev.mod4j.runtime.llava.MultimodalModel;
import dev.mod4j.runtime.llava.PreprocessedImage;
import dev.mod4j.runtime.model.Session;
import dev.mod4j.runtime.prompt.PromptRows;
import dev.mod4j.server.StopStrings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code mod4j chat}: a conversation on the terminal. Each line is a user message; the answer streams back. The whole
 * conversation goes through the prompt format every turn (the checkpoint's chat template, or LLaVA's conversation
 * template) and is prefilled anew, so what the model sees is what LLaVA's cli.py or a chat template would give it.
 */
@Command(name = "chat", mixinStandardHelpOptions = true,
        description = {"Talk with a model turn by turn: type a message, the answer streams back.",
                "Lines starting with / are commands: /image FILE attaches a picture to your next message, /reset"
                        + " starts a new conversation, /quit (or the end of input) leaves.",
                "--image and --prompt (optional) give the first message's picture and text."})
final class ChatCommand implements Callable<Integer> {
    static final String HELP = "commands: /image FILE (attach to the next message), /reset, /quit";

    @Spec
    CommandSpec spec;

    @Mixin
    Mod4j.CommonOptions common;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    ScheduleOptions scheduleOptions;

    @Mixin
    SamplingFlags samplingFlags;

    @Option(names = "--max-new-tokens", paramLabel = "N", defaultValue = "512",
            description = "Longest answer per turn. Default: ${DEFAULT-VALUE}.")
    int maxNewTokens;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (modelOptions.inputIds != null) {
            throw new InvalidInputException("--input-ids", "chat takes text; token ids are for mod4j generate");
        }
        if (maxNewTokens < 1 || maxNewTokens > GenerateCommand.MAX_NEW_TOKENS_LIMIT) {
            throw new InvalidInputException("--max-new-tokens", "must be between 1 and "
                    + GenerateCommand.MAX_NEW_TOKENS_LIMIT + ", got " + maxNewTokens);
        }
        SamplingOptions sampling = samplingFlags.options();
        boolean terminal = System.console() != null && System.console().isTerminal();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try (MultimodalModel model = modelOptions.open()) {
            Tokenizer tokenizer = modelOptions.tokenizer();
            PromptFormat format = PromptFormat.select(modelOptions.template, modelOptions.modelDirectory(),
                    model.hasVision());
            int placeholder = model.hasVision() ? model.imagePlaceholderId() : Integer.MIN_VALUE;
            int context = model.decoder().config().maxPositionEmbeddings();
            List<ChatTurn> turns = new ArrayList<>();
            List<PreprocessedImage> images = new ArrayList<>();
            List<PreprocessedImage> attached = new ArrayList<>(modelOptions.images(model));
            if (terminal) {
                out.println("mod4j chat (" + format.name() + "); " + HELP);
            }
            String line = modelOptions.prompt;
            while (true) {
                if (line == null) {
                    if (terminal) {
                        out.print("> ");
                        out.flush();
                    }
                    line = in.readLine();
                    if (line == null) {
                        break;
                    }
                }
                String message = line.strip();
                line = null;
                if (message.isEmpty()) {
                    continue;
                }
                if (message.startsWith("/")) {
                    String[] command = message.split("\\s+", 2);
                    switch (command[0]) {
                        case "/quit", "/exit" -> {
                            return 0;
                        }
                        case "/reset" -> {
                            turns.clear();
                            images.clear();
                            attached.clear();
                        }
                        case "/image" -> attach(command.length > 1 ? command[1] : "", model, attached, err);
                        case "/help" -> out.println(HELP);
                        default -> err.println("mod4j chat: unknown command " + command[0] + "; " + HELP);
                    }
                    continue;
                }
                List<ChatTurn> conversation = new ArrayList<>(turns);
                conversation.add(new ChatTurn(message, attached.size(), null));
                List<PreprocessedImage> allImages = new ArrayList<>(images);
                allImages.addAll(attached);
                PromptRows prompt = model.promptWithImages(
                        format.encodeConversation(tokenizer, conversation, placeholder), allImages);
                if (prompt.length() >= context) {
                    err.println("mod4j chat: the conversation (" + prompt.length() + " positions) no longer fits the"
                            + " model's context of " + context + "; /reset starts a new one");
                    continue;
                }
                String answer = answer(model, prompt, context, tokenizer, sampling, out);
                turns.add(new ChatTurn(message, attached.size(), answer));
                images.addAll(attached);
                attached.clear();
            }
        }
        return 0;
    }

    /** Streams the answer to {@code out} (up to a --stop string) and returns it as the conversation keeps it. */
    private String answer(MultimodalModel model, PromptRows prompt, int context, Tokenizer tokenizer,
                          SamplingOptions sampling, PrintWriter out) {
        Session session = model.decoder().newSession(Math.min(context, prompt.length() + maxNewTokens));
        scheduleOptions.apply(session, model);
        StreamingDecoder stream = tokenizer.streamingDecoder(true);
        StringBuilder text = new StringBuilder();
        StopStrings stops = new StopStrings(samplingFlags.stop, piece -> {
            text.append(piece);
            out.print(piece);
            out.flush();
        });
        boolean[] stopped = {false};
        Generator.generateUntil(session, prompt, Math.min(maxNewTokens, context - prompt.length()),
                model.decoder().config().eosTokenIds(), sampling,
                token -> stopped[0] = stops.accept(stream.next(token)));
        if (!stopped[0] && !stops.accept(stream.finish())) {
            stops.finish();
        }
        out.println();
        out.flush();
        // LLaVA's cli.py keeps the decoded answer stripped.
        return text.toString().strip();
    }

    /** /image FILE: decoded and preprocessed now, so a bad file is reported at once (one line; the chat goes on). */
    private static void attach(String file, MultimodalModel model, List<PreprocessedImage> attached, PrintWriter err) {
        if (file.isBlank()) {
            err.println("mod4j chat: /image needs a file name");
            return;
        }
        try {
            attached.add(model.preprocessImage(ImageDecoder.decode(Path.of(file.strip()))));
        } catch (InvalidInputException e) {
            err.println(FlagNames.message(e));
        }
    }
}
