package dev.mod4j.api;

import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.safetensors.LoadMode;
import dev.mod4j.loaders.tokenizer.Tokenizer;
import dev.mod4j.runtime.accounting.ModelShape;
import dev.mod4j.runtime.compare.ScheduleComparison;
import dev.mod4j.runtime.compare.ScheduleRun;
import dev.mod4j.runtime.generate.GenerationResult;
import dev.mod4j.runtime.generate.Generator;
import dev.mod4j.runtime.generate.PromptEncoder;
import dev.mod4j.runtime.generate.PromptTemplate;
import dev.mod4j.runtime.generate.SamplingOptions;
import dev.mod4j.runtime.llava.MultimodalModel;
import dev.mod4j.runtime.prompt.PromptRows;
import dev.mod4j.runtime.model.Session;
import dev.mod4j.runtime.schedule.ScheduleMethods;
import dev.mod4j.runtime.schedule.ScheduleSpec;
import dev.mod4j.runtime.schedule.Schedules;
import dev.mod4j.runtime.schedule.TokenSchedule;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The small API the notebooks use: open a LLaVA model, ask it about an image under a token schedule, compare
 * schedules. Everything below it stays reachable ({@link #model()}, {@link #tokenizer()}, {@link #prompt}) for
 * sessions of your own.
 *
 * <pre>{@code
 * try (Llava llava = Llava.open(Path.of("models/llava-1.5-7b-hf"))) {
 *     ImageInput image = ImageInput.of(Path.of("cat.png"));
 *     Answer a = llava.ask(image, "What is in the picture?", "pdrop", 32);
 *     System.out.println(a.text() + "  " + Arrays.toString(a.imageTokensPerLayer()));
 *     Comparison c = llava.compare(image, "What is in the picture?", 32);   // dense, fastv, pdrop, gmod, pmod
 *     ComparisonReport.of(c).write(Path.of("report"));
 * }
 * }</pre>
 * Decoding is greedy. Not thread-safe (one request at a time); the model underneath is.
 */
public final class Llava implements AutoCloseable {
    /**
     * Every registered method, each with its defaults ({@code dense,fastv,pdrop,gmod,pmod} and any on the class path);
     * {@link #compare(ImageInput, String, int)} leaves out router-less ones.
     */
    public static final String ALL_SCHEDULES = ScheduleMethods.allWithDefaults();

    private final MultimodalModel model;
    private final Tokenizer tokenizer;
    private final String name;
    private PromptTemplate template;

    private Llava(MultimodalModel model, Tokenizer tokenizer, String name) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.name = name;
        this.template = PromptTemplate.byName(model.hasVision() ? "vicuna_v1" : "plain");
    }

    /** Opens a model directory (config.json, *.safetensors, tokenizer.json), memory-mapped. */
    public static Llava open(Path directory) {
        return open(directory, null, LoadMode.MMAP);
    }

    /** @param visionTower the CLIP checkpoint of an original-layout LLaVA when mm_vision_tower is not on disk, or null */
    public static Llava open(Path directory, Path visionTower, LoadMode mode) {
        MultimodalModel model = MultimodalModel.load(directory, visionTower, mode);
        try {
            Tokenizer tokenizer = Files.isRegularFile(directory.resolve("tokenizer.json")) ? Tokenizer.load(directory) : null;
            return new Llava(model, tokenizer, directory.getFileName().toString());
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

    /** The conversation template: vicuna_v1 (LLaVA-1.5, the default for LLaVA models) or plain. */
    public Llava template(String templateName) {
        this.template = PromptTemplate.byName(templateName);
        return this;
    }

    /** A fresh schedule from a spec ({@code dense}, {@code fastv:k=2;r=0.5}, {@code pdrop}, {@code gmod}, {@code pmod}). */
    public TokenSchedule schedule(String spec) {
        return Schedules.create(spec, model.decoder().files());
    }

    /** The decoder's prompt rows for a question about {@code image} (null: text only), through the template. */
    public PromptRows prompt(ImageInput image, String question) {
        if (tokenizer == null) {
            throw new InvalidInputException(name, "has no tokenizer.json; build PromptRows from token ids instead");
        }
        if (image != null) {
            model.rowsPerImage(); // without a vision tower: an error saying why (text-only, or tower not found)
        }
        List<float[]> images = image == null ? List.of() : List.of(image.pixelValues(model));
        String text = template.apply(question, images.size());
        int placeholder = model.hasVision() ? model.imagePlaceholderId() : Integer.MIN_VALUE;
        PromptRows rows = model.prompt(PromptEncoder.encode(tokenizer, text, placeholder), images);
        int context = model.decoder().config().maxPositionEmbeddings();
        if (rows.length() >= context) {
            throw new InvalidInputException("prompt", rows.length() + " positions do not fit the model's context of "
                    + context);
        }
        return rows;
    }

    /** Dense, up to 32 new tokens. */
    public Answer ask(ImageInput image, String question) {
        return ask(image, question, "dense", 32);
    }

    public Answer ask(ImageInput image, String question, String schedule, int maxNewTokens) {
        return ask(image, question, schedule(schedule), maxNewTokens);
    }

    /** Greedy answer under {@code schedule} (use a fresh schedule per call: schedules remember their sequence). */
    public Answer ask(ImageInput image, String question, TokenSchedule schedule, int maxNewTokens) {
        return ask(question, prompt(image, question), schedule, maxNewTokens);
    }

    /** The same for prompt rows made elsewhere (e.g. one image encoded once and asked under several schedules). */
    public Answer ask(String question, PromptRows prompt, TokenSchedule schedule, int maxNewTokens) {
        if (maxNewTokens < 1) {
            throw new InvalidInputException("maxNewTokens", "must be at least 1, got " + maxNewTokens);
        }
        int capacity = Math.min(model.decoder().config().maxPositionEmbeddings(), prompt.length() + maxNewTokens);
        Session session = model.decoder().newSession(capacity);
        session.schedule(schedule);
        GenerationResult result = Generator.generate(session, prompt, capacity - prompt.length(),
                model.decoder().config().eosTokenIds(), SamplingOptions.GREEDY, token -> {
                });
        ScheduleRun run = new ScheduleRun(schedule.spec(), result, session.trace().copy(), session.trace().prefillMacs(),
                session.trace().totalMacs(), session.kvCacheEntries(), session.kvCacheBytes());
        return new Answer(question, decode(result.tokens()), run);
    }

    /** Every method ({@link #ALL_SCHEDULES}); γ-MoD and p-MoD are left out when the checkpoint has no routers for them. */
    public Comparison compare(ImageInput image, String question, int maxNewTokens) {
        return compare(image, question, ALL_SCHEDULES, maxNewTokens);
    }

    /**
     * One request under each schedule of a comma-separated list, the first being the reference. In the list
     * {@link #ALL_SCHEDULES} γ-MoD and p-MoD are skipped without routers; in any other list that is an error.
     */
    public Comparison compare(ImageInput image, String question, String schedules, int maxNewTokens) {
        List<String> skipped = new ArrayList<>();
        return compare(image, question, schedules(schedules, schedules.equals(ALL_SCHEDULES) ? skipped : null),
                skipped, maxNewTokens);
    }

    /** The same with schedules made by hand (your own {@link TokenSchedule}s among them); {@code skipped} is only
     * reported. */
    public Comparison compare(ImageInput image, String question, List<TokenSchedule> schedules, List<String> skipped,
                              int maxNewTokens) {
        if (schedules.isEmpty()) {
            throw new InvalidInputException("schedules", "no schedule to run");
        }
        PromptRows prompt = prompt(image, question);
        List<ScheduleRun> runs = ScheduleComparison.run(model.decoder(), prompt, schedules, maxNewTokens);
        return new Comparison(name, question, image == null ? null : image.picture(model), prompt,
                ModelShape.of(model.decoder().config()), runs,
                runs.stream().map(r -> decode(r.generation().tokens())).toList(), skipped);
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

    @Override
    public void close() {
        model.close();
    }
}
