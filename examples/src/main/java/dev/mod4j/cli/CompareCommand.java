package dev.mod4j.cli;

import dev.mod4j.loaders.progress.ProgressListener;
import dev.mod4j.loaders.progress.ProgressTask;
import dev.mod4j.loaders.OutputFiles;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.tokenizer.Tokenizer;
import dev.mod4j.report.ComparisonTable;
import dev.mod4j.report.TraceExport;
import dev.mod4j.runtime.accounting.FlopsConvention;
import dev.mod4j.runtime.accounting.ModelShape;
import dev.mod4j.runtime.compare.ScheduleComparison;
import dev.mod4j.runtime.compare.ScheduleRun;
import dev.mod4j.runtime.generate.SamplingOptions;
import dev.mod4j.runtime.llava.MultimodalModel;
import dev.mod4j.runtime.llava.PreprocessedImage;
import dev.mod4j.runtime.prompt.PromptRows;
import dev.mod4j.runtime.schedule.RoutingTrace;
import dev.mod4j.runtime.schedule.ScheduleMethods;
import dev.mod4j.runtime.schedule.ScheduleSpec;
import dev.mod4j.runtime.schedule.Schedules;
import dev.mod4j.runtime.schedule.TokenSchedule;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/** {@code mod4j compare}: one request under several schedules, side by side. */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = "Run one image + prompt under several token schedules and compare outputs, cost and what was kept.")
final class CompareCommand implements Callable<Integer> {
    /** Every registered method with its defaults ({@code dense,fastv,pdrop,gmod,pmod} and any of yours). */
    static final String DEFAULT_SCHEDULES = ScheduleMethods.allWithDefaults();

    @Spec
    CommandSpec spec;

    @Mixin
    Mod4j.CommonOptions common;

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--schedules", paramLabel = "LIST",
            description = "Comma-separated schedule specs (e.g. dense,fastv:k=2;r=0.5,pdrop), the first being the"
                    + " reference; the methods are listed below. gmod/pmod need their router tensors; in the default"
                    + " list they are left out when the checkpoint has none. Default: every method, ${DEFAULT-VALUE}.")
    String schedules = DEFAULT_SCHEDULES;

    @Option(names = "--max-new-tokens", paramLabel = "N", defaultValue = "32")
    int maxNewTokens;

    @Option(names = "--repeats", paramLabel = "N", defaultValue = "" + ScheduleComparison.DEFAULT_REPEATS,
            description = "Timed runs per schedule, after untimed warm-up runs of every schedule (one round, or half a"
                    + " second of rounds on a small model); times are the"
                    + " median, with the range (min–max) in parentheses. Default: ${DEFAULT-VALUE}.")
    int repeats;

    @Option(names = "--flops", paramLabel = "CONVENTION", defaultValue = "exact",
            description = "How prefill compute is counted: exact (mod4j's multiply-adds of the layers it ran), gamma_mod"
                    + " (8nd²+4n²d+6ndm, all tokens), pdrop (4nd²+2n²d+3ndm, image tokens only) or fastv"
                    + " (4nd²+2n²d+2ndm, all tokens); see docs/methods.md §2. Default: ${DEFAULT-VALUE}.")
    String flops;

    @Option(names = "--json", description = "Print the comparison as JSON.")
    boolean json;

    @Option(names = "--trace-out", paramLabel = "FILE", description = "Write every schedule's routing trace (.arrow or .json).")
    Path traceOut;

    @Option(names = "--report", paramLabel = "DIR",
            description = "Write an HTML report (table, charts, kept patches per layer, CSV, Arrow trace) into DIR.")
    Path reportDir;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (maxNewTokens < 1 || maxNewTokens > GenerateCommand.MAX_NEW_TOKENS_LIMIT) {
            throw new InvalidInputException("--max-new-tokens", "must be between 1 and "
                    + GenerateCommand.MAX_NEW_TOKENS_LIMIT + ", got " + maxNewTokens);
        }
        if (repeats < 1) {
            throw new InvalidInputException("--repeats", "must be at least 1, got " + repeats);
        }
        if (traceOut != null) {
            OutputFiles.requireWritableFile(traceOut);
        }
        if (reportDir != null) {
            OutputFiles.requireWritableDirectory(reportDir);
        }
        try (MultimodalModel model = modelOptions.open()) {
            List<PreprocessedImage> images = modelOptions.images(model);
            PromptRows prompt = model.promptWithImages(modelOptions.inputIds(model, images.size()), images);
            if (prompt.length() >= model.decoder().config().maxPositionEmbeddings()) {
                throw new InvalidInputException("prompt", prompt.length() + " positions do not fit the model's context of "
                        + model.decoder().config().maxPositionEmbeddings());
            }
            List<TokenSchedule> list = new ArrayList<>();
            List<String> skipped = new ArrayList<>();
            for (ScheduleSpec s : ScheduleOptions.forFlag("--schedules", () -> ScheduleSpec.parseList(schedules))) {
                try {
                    list.add(ScheduleOptions.forFlag("--schedules", () -> Schedules.create(s, model.decoder().files())));
                } catch (InvalidInputException e) {
                    boolean optional = schedules.equals(DEFAULT_SCHEDULES) && e.getMessage().contains("router tensors");
                    if (!optional) {
                        throw e;
                    }
                    skipped.add(s.method() + " (no router tensors in this checkpoint)");
                }
            }
            FlopsConvention convention = convention(flops);
            // On a terminal, a bar over the timed runs (the warm-up runs come first, at 0); nothing when piped.
            ProgressTask bar = ProgressListener.current().start("compare", (long) list.size() * repeats);
            List<ScheduleRun> runs = ScheduleComparison.run(model.decoder(), prompt,
                    list.stream().map(s -> ScheduleComparison.fresh(s, model.decoder().files())).toList(),
                    new ScheduleComparison.Settings(maxNewTokens, SamplingOptions.GREEDY, repeats), null,
                    (done, total) -> bar.advance(1));
            bar.close();
            ModelShape shape = ModelShape.of(model.decoder().config());
            Tokenizer tokenizer = modelOptions.tokenizerIfPresent();
            if (json) {
                printJson(out, runs, tokenizer, skipped, convention, shape, model.decoder().backend().name());
            } else {
                out.println("backend: " + model.decoder().backend().name());
                printTable(out, runs, tokenizer, prompt, skipped, convention, shape);
            }
            if (traceOut != null) {
                Map<String, RoutingTrace> traces = new LinkedHashMap<>();
                runs.forEach(r -> traces.put(r.spec(), r.trace()));
                if (traceOut.toString().endsWith(".json")) {
                    TraceExport.writeJson(traces, traceOut);
                } else {
                    TraceExport.writeArrow(traces, traceOut);
                }
            }
            if (reportDir != null) {
                Path page = CompareReports.write(reportDir, model, modelOptions, images, prompt, runs, tokenizer, skipped,
                        convention);
                if (!json) {
                    // With the table, as the demo prints it (stderr stays empty on success; --json keeps stdout JSON).
                    out.println("report: " + page.toAbsolutePath());
                }
            }
        }
        return 0;
    }

    static String text(Tokenizer tokenizer, int[] tokens) {
        if (tokenizer == null) {
            return Arrays.stream(tokens).mapToObj(Integer::toString).collect(Collectors.joining(","));
        }
        return tokenizer.decode(tokens, true).replace("\n", "\\n");
    }

    static FlopsConvention convention(String name) {
        return switch (name.toLowerCase().replace('-', '_')) {
            case "exact" -> FlopsConvention.EXACT;
            case "gamma_mod", "gmod" -> FlopsConvention.GAMMA_MOD;
            case "pdrop" -> FlopsConvention.PDROP;
            case "fastv" -> FlopsConvention.FASTV;
            default -> throw new InvalidInputException("--flops", "unknown convention '" + name
                    + "' (exact, gamma_mod, pdrop, fastv)");
        };
    }

    static void printTable(PrintWriter out, List<ScheduleRun> runs, Tokenizer tokenizer, PromptRows prompt,
                           List<String> skipped, FlopsConvention convention, ModelShape shape) {
        ScheduleRun dense = runs.getFirst();
        out.printf("prompt: %d positions (%d image tokens); reference for agreement, FLOPs and KV ratios: %s%n",
                prompt.length(), prompt.imageRows().length == 0 ? 0 : (int) Arrays.stream(prompt.roles())
                        .filter(r -> r == dev.mod4j.runtime.prompt.TokenRole.IMAGE).count(), dense.spec());
        int repeats = runs.getFirst().timings().repeats();
        // With repeats a time cell reads "12.3 (11.9–13.0)": the columns widen to hold it.
        String format = repeats == 1 ? "%-34s %7s %6s %10s %10s %9s %10s %9s  %-22s %s%n"
                : "%-34s %7s %6s %18s %22s %9s %10s %9s  %-22s %s%n";
        out.printf(format, ComparisonTable.HEADERS.toArray());
        List<String> texts = runs.stream().map(r -> shorten(text(tokenizer, r.generation().tokens()), 40)).toList();
        for (ComparisonTable.Row row : ComparisonTable.rows(runs, texts, convention, shape)) {
            List<String> c = row.cells();
            out.printf(format, shorten(c.get(0), 34), c.get(1), c.get(2),
                    c.get(3), c.get(4), c.get(5), c.get(6), c.get(7), c.get(8), c.get(9));
        }
        out.println("FLOPs: prefill compute relative to the dense model on the same prompt, counted as " + convention
                + (convention == FlopsConvention.EXACT ? " (the multiply-adds mod4j performed, LM head included)"
                : " (the paper's formula, docs/methods.md §2)") + "; KV ratio relative to the first schedule.");
        out.println(repeats == 1 ? "Times: one timed run per schedule, after a warm-up run of every schedule."
                : "Times: median (min–max) of " + repeats + " timed runs per schedule, after a warm-up run of every"
                + " schedule.");
        for (String s : skipped) {
            out.println("skipped: " + s);
        }
    }

    private static void printJson(PrintWriter out, List<ScheduleRun> runs, Tokenizer tokenizer, List<String> skipped,
                                  FlopsConvention convention, ModelShape shape, String backend) {
        int[] reference = runs.getFirst().generation().tokens();
        List<Map<String, Object>> rows = new ArrayList<>();
        for (ScheduleRun r : runs) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("schedule", r.spec());
            m.put("tokens", r.generation().tokens());
            m.put("text", text(tokenizer, r.generation().tokens()));
            m.put("agreement", r.agreementWith(reference));
            m.put("first_divergence", r.firstDivergence(reference));
            // Times: the median over the timed repeats, then their range.
            m.put("prefill_ms", r.timings().prefillMillis().median());
            m.put("decode_tokens_per_s", r.timings().decodeTokensPerSecond().median());
            m.put("prefill_ms_min", r.timings().prefillMillis().min());
            m.put("prefill_ms_max", r.timings().prefillMillis().max());
            m.put("decode_tokens_per_s_min", r.timings().decodeTokensPerSecond().min());
            m.put("decode_tokens_per_s_max", r.timings().decodeTokensPerSecond().max());
            m.put("repeats", r.timings().repeats());
            m.put("prefill_macs", r.prefillMacs());
            m.put("total_macs", r.totalMacs());
            m.put("flops_convention", convention.name().toLowerCase());
            // The convention's count under its own unit's name: the papers' FLOPs are multiply-adds in some.
            m.put("convention_prefill_" + convention.unit().name().toLowerCase(Locale.ROOT),
                    r.prefillFlops(convention, shape).total());
            m.put("prefill_flops_ratio_to_dense", r.prefillFlops(convention, shape).ratioToDense());
            m.put("kv_cache_entries", r.kvCacheEntries());
            m.put("kv_cache_bytes", r.kvCacheBytes());
            m.put("image_tokens_per_layer", r.imageTokensPerLayer());
            rows.add(m);
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("runs", rows);
        root.put("skipped", skipped);
        root.put("backend", backend);
        try {
            out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(root));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String shorten(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 1) + "…";
    }
}
