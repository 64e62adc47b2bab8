package dev.mod4j.api;

import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.loaders.safetensors.LoadMode;
import dev.mod4j.loaders.tokenizer.StreamingDecoder;
import dev.mod4j.loaders.tokenizer.Tokenizer;
import dev.mod4j.runtime.accounting.ModelShape;
import dev.mod4j.runtime.compare.ScheduleComparison;
import dev.mod4j.runtime.compare.ScheduleRun;
import dev.mod4j.runtime.cpu.CpuBackend;
import dev.mod4j.runtime.generate.GenerationResult;
import dev.mod4j.runtime.generate.Generator;
import dev.mod4j.runtime.generate.PromptFormat;
import dev.mod4j.runtime.generate.SamplingOptions;
import dev.mod4j.runtime.llava.MultimodalModel;
import dev.mod4j.runtime.llava.PreprocessedImage;
import dev.mod4j.runtime.model.Session;
import dev.mod4j.runtime.prompt.PromptRows;
import dev.mod4j.runtime.schedule.ScheduleMethods;
import dev.mod4j.runtime.schedule.ScheduleSpec;
import dev.mod4j.runtime.schedule.Schedules;
import dev.mod4j.runtime.schedule.TokenSchedule;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import java.util.stream.Collectors;

/**
 * The library's entry point: open a LLaVA model, ask it about an image under a token schedule, compare schedules.
 * Everything below it stays reachable ({@link #model()}, {@link #tokenizer()}, {@link #prompt}) for sessions of your
 * own.
 *
 * <pre>{@code
 * try (Llava llava = Llava.open(Path.of("models/llava-1.5-7b-hf"))) {
 *     ImageInput image = ImageInput.of(Path.of("cat.png"));
 *     Answer a = llava.request(image, "What is in the picture?").schedule("pdrop").maxNewTokens(32)
 *             .onToken(System.out::print).ask();
 *     System.out.println(Arrays.toString(a.imageTokensPerLayer()));
 *     Comparison c = llava.request(image, "What is in the picture?").compare();   // dense, fastv, pdrop, gmod, pmod
 * }
 * }</pre>
 * Not thread-safe (one request at a time); the model underneath is.
 */
public final class Llava implements AutoCloseable {
    /**
     * Every registered method, each with its defaults ({@code dense,fastv,pdrop,gmod,pmod} and any on the class path);
     * {@link Request#compare()} leaves out router-less ones.
     */
    public static final String ALL_SCHEDULES = ScheduleMethods.allWithDefaults();

    private final MultimodalModel model;
    private final Tokenizer tokenizer;
    private final String name;
    private final Path directory;
    private PromptFormat format;

    private Llava(MultimodalModel model, Tokenizer tokenizer, Path directory) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.directory = directory;
        this.name = directory.getFileName().toString();
        this.format = PromptFormat.select(null, directory, model.hasVision());
    }

    /** Opens a model directory (config.json, *.safetensors, tokenizer.json or tokenizer.model), memory-mapped. */
    public static Llava open(Path directory) {
        return open(directory, null, LoadMode.MMAP);
    }

    /** @param visionTower the CLIP checkpoint of an original-layout LLaVA when mm_vision_tower is not on disk, or null */
    public static Llava open(Path directory, Path visionTower, LoadMode mode) {
        return open(directory, visionTower, mode, null);
    }

    /**
     * As {@link #open(Path, Path, LoadMode)}, with the decoder's projections and LM head quantized at load to
     * {@code weights} ({@link DType#Q8_0}, on the CPU backend; null keeps the checkpoint's dtype). Quantizing maps
     * the checkpoint whatever {@code mode} says and gives each matrix's pages back once it is quantized, so memory
     * holds the 8-bit weights only.
     */
    public static Llava open(Path directory, Path visionTower, LoadMode mode, DType weights) {
        MultimodalModel model = weights == null ? MultimodalModel.load(directory, visionTower, mode)
                : MultimodalModel.load(directory, visionTower, LoadMode.MMAP, CpuBackend.quantizing(weights));
        try {
            Tokenizer tokenizer = Tokenizer.isPresentIn(directory) ? Tokenizer.load(directory) : null;
            return new Llava(model, tokenizer, directory);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    public MultimodalModel model() {
        return model;
    }

    /** The model's tokenizer, or null when the directory has none. */
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public String name() {
        return name;
    }

    /**
     * The conversation template: chat (the checkpoint's own chat template, the default when it has one), vicuna_v1
     * (LLaVA's conv_vicuna_v1, the default for other LLaVA models) or plain.
     */
    public Llava template(String templateName) {
        this.format = PromptFormat.select(templateName, directory, model.hasVision());
        return this;
    }

    /** A fresh schedule from a spec ({@code dense}, {@code fastv:k=2;r=0.5}, {@code pdrop}, {@code gmod}, {@code pmod}). */
    public TokenSchedule schedule(String spec) {
        return Schedules.create(spec, model.decoder().files());
    }

    /** The decoder's prompt rows for a question about {@code image} (null: text only), through the template. */
    public PromptRows prompt(ImageInput image, String question) {
        if (tokenizer == null) {
            throw new InvalidInputException(name, "has no tokenizer.json (nor tokenizer.model); build PromptRows from token ids instead");
        }
        if (image != null) {
            model.rowsPerImage(); // without a vision tower: an error saying why (text-only, or tower not found)
        }
        List<PreprocessedImage> images = image == null ? List.of() : List.of(image.preprocessed(model));
        int placeholder = model.hasVision() ? model.imagePlaceholderId() : Integer.MIN_VALUE;
        PromptRows rows = model.promptWithImages(format.encode(tokenizer, question, images.size(), placeholder),
                images);
        int context = model.decoder().config().maxPositionEmbeddings();
        if (rows.length() >= context) {
            throw new InvalidInputException("prompt", rows.length() + " positions do not fit the model's context of "
                    + context);
        }
        return rows;
    }

    /** A request about {@code image} (null: a text-only prompt), its prompt built through the template. */
    public Request request(ImageInput image, String question) {
        return new Request(this, image, question, null);
    }

    /** A text-only request. */
    public Request request(String question) {
        return new Request(this, null, question, null);
    }

    /**
     * A request on prompt rows made elsewhere (e.g. one image encoded once with {@link #prompt} and asked under
     * several schedules); {@code question} only labels the answer.
     */
    public Request request(PromptRows prompt, String question) {
        return new Request(this, null, question, Objects.requireNonNull(prompt, "prompt"));
    }

    /**
     * Fresh schedules from a comma-separated list of specs. With a {@code skipped} list, γ-MoD and p-MoD specs are
     * left out when the checkpoint has no routers for them (the reason added to {@code skipped}); with null, that is
     * an error.
     */
    public List<TokenSchedule> schedules(String specs, List<String> skipped) {
        List<TokenSchedule> list = new ArrayList<>();
        for (ScheduleSpec s : ScheduleSpec.parseList(specs)) {
            try {
                list.add(Schedules.create(s, model.decoder().files()));
            } catch (InvalidInputException e) {
                if (skipped == null || !e.getMessage().contains("router tensors")) {
                    throw e;
                }
                skipped.add(s.method() + " (no router tensors in this checkpoint)");
            }
        }
        return list;
    }

    /** Token ids → text (special tokens left out), or the ids joined by commas when there is no tokenizer. */
    public String decode(int[] tokens) {
        if (tokenizer == null) {
            return Arrays.stream(tokens).mapToObj(Integer::toString).collect(Collectors.joining(","));
        }
        return tokenizer.decode(tokens, true);
    }

    /** One answer, on a fresh session sized for the prompt and the token budget. */
    Answer answer(String question, PromptRows prompt, TokenSchedule schedule, int maxNewTokens,
                  SamplingOptions sampling, Consumer<String> onText) {
        Session session = model.decoder().newSession(capacity(prompt, maxNewTokens));
        ScheduleRun run = run(session, prompt, schedule, maxNewTokens, sampling, onText);
        return new Answer(question, decode(run.generation().tokens()), run);
    }

    /**
     * The request under each schedule, the first being the reference: {@code ScheduleComparison.run} (warm-up round,
     * then {@code repeats} timed rounds) with the request's sampling, streaming each schedule's kept run.
     */
    Comparison comparison(String question, ImageInput image, PromptRows prompt, List<TokenSchedule> schedules,
                          List<String> skipped, int maxNewTokens, SamplingOptions sampling, int repeats,
                          Consumer<String> onText) {
        List<ScheduleRun> runs = ScheduleComparison.run(model.decoder(), prompt,
                schedules.stream().map(s -> ScheduleComparison.fresh(s, model.decoder().files())).toList(),
                new ScheduleComparison.Settings(maxNewTokens, sampling, repeats),
                onText == null ? null : () -> new TextStream(onText));
        // No picture for LLaVA-NeXT: the report's patch strips assume one square grid of image rows.
        RgbImage picture = image == null || model.anyresSettings() != null ? null : image.picture(model);
        return new Comparison(name, question, picture, prompt,
                ModelShape.of(model.decoder().config()), runs,
                runs.stream().map(r -> decode(r.generation().tokens())).toList(), skipped);
    }

    private int capacity(PromptRows prompt, int maxNewTokens) {
        return Math.min(model.decoder().config().maxPositionEmbeddings(), prompt.length() + maxNewTokens);
    }

    /** Generates under {@code schedule} until eos or the budget (cut to the context), streaming text to {@code onText}. */
    private ScheduleRun run(Session session, PromptRows prompt, TokenSchedule schedule, int maxNewTokens,
                            SamplingOptions sampling, Consumer<String> onText) {
        session.schedule(schedule);
        TextStream stream = onText == null ? null : new TextStream(onText);
        IntConsumer onToken = stream == null ? token -> {
        } : stream;
        GenerationResult result = Generator.generate(session, prompt, capacity(prompt, maxNewTokens) - prompt.length(),
                model.decoder().config().eosTokenIds(), sampling, onToken);
        if (stream != null) {
            stream.finish();
        }
        return new ScheduleRun(schedule.spec(), result, session.trace().copy(), session.trace().prefillMacs(),
                session.trace().totalMacs(), session.kvCacheEntries(), session.kvCacheBytes());
    }

    /**
     * Generated ids → text pieces as they come; the pieces of one run join to {@link #decode} of its tokens (ids
     * joined by commas when the model has no tokenizer).
     */
    private final class TextStream implements ScheduleComparison.TokenStream {
        private final Consumer<String> onText;
        private final StreamingDecoder decoder = tokenizer == null ? null : tokenizer.streamingDecoder(true);
        private boolean first = true;

        TextStream(Consumer<String> onText) {
            this.onText = onText;
        }

        @Override
        public void accept(int token) {
            String piece = decoder != null ? decoder.next(token) : (first ? "" : ",") + token;
            first = false;
            if (!piece.isEmpty()) {
                onText.accept(piece);
            }
        }

        @Override
        public void finish() {
            String rest = decoder == null ? "" : decoder.finish();
            if (!rest.isEmpty()) {
                onText.accept(rest);
            }
        }
    }

    @Override
    public void close() {
        model.close();
    }
}
