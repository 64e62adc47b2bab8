package dev.mod4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mod4j.loaders.config.HubCache;
import dev.mod4j.loaders.layout.CheckpointSummary;
import dev.mod4j.loaders.layout.ModelFiles;
import dev.mod4j.loaders.safetensors.LoadMode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

import static dev.mod4j.report.ComparisonTable.bytes;

/** {@code mod4j inspect --model DIR}: what a checkpoint on disk holds, without loading the weights. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Show a checkpoint's layout, dimensions, dtypes, sizes, parameters per component and routers.")
final class InspectCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    Mod4j.CommonOptions common;

    @Option(names = "--model", required = true, paramLabel = "DIR",
            description = "Model directory (config.json + *.safetensors), llava-hf or original LLaVA layout, or plain"
                    + " LLaMA; or a hub id (org/name) in the local HuggingFace cache.")
    Path model;

    @Option(names = "--vision-tower", paramLabel = "DIR",
            description = "Original LLaVA layout: the CLIP tower checkpoint directory (default: from mm_vision_tower).")
    Path visionTower;

    @Option(names = "--json", description = "Print the summary as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (ModelFiles files = ModelFiles.open(HubCache.fromEnvironment().resolveModel(model), visionTower,
                LoadMode.MMAP)) {
            CheckpointSummary s = CheckpointSummary.of(files);
            if (json) {
                out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(json(s)));
            } else {
                print(out, s);
            }
        }
        return 0;
    }

    /**
     * The summary as {@code inspect --json} prints it: snake_case keys, units in the names where a number has one
     * (docs/schemas/inspect.schema.json). Component names become keys ("language model" -> language_model).
     */
    static ObjectNode json(CheckpointSummary s) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("directory", s.directory());
        o.put("family", s.family());
        o.put("model_type", s.modelType());
        o.put("layout", s.layout());
        o.put("tensor_count", s.tensorCount());
        o.put("total_bytes", s.totalBytes());
        ObjectNode dtypes = o.putObject("dtypes");
        s.dtypes().forEach((dtype, stats) -> dtypes.putObject(dtype).put("tensors", stats.tensors())
                .put("bytes", stats.bytes()));
        ObjectNode parameters = o.putObject("parameters");
        s.parameters().forEach((component, count) -> parameters.put(component.replace(' ', '_'), count));
        var d = s.dimensions();
        ObjectNode dims = o.putObject("dimensions");
        dims.put("layers", d.layers());
        dims.put("hidden_size", d.hiddenSize());
        dims.put("intermediate_size", d.intermediateSize());
        dims.put("attention_heads", d.attentionHeads());
        dims.put("key_value_heads", d.keyValueHeads());
        dims.put("head_dim", d.headDim());
        dims.put("vocab_size", d.vocabSize());
        dims.put("max_positions", d.maxPositions());
        if (d.visionLayers() != null) {
            dims.put("vision_layers", d.visionLayers());
            dims.put("vision_hidden_size", d.visionHiddenSize());
            dims.put("image_size_px", d.imageSize());
            dims.put("patch_size_px", d.patchSize());
            dims.put("image_tokens", d.imageTokens());
        }
        s.gammaModRouterLayers().forEach(o.putArray("gamma_mod_router_layers")::add);
        s.pModRouterLayers().forEach(o.putArray("p_mod_router_layers")::add);
        if (s.visionTower() != null) {
            o.put("vision_tower", s.visionTower());
        }
        ArrayNode files = o.putArray("files");
        for (int i = 0; i < s.files().size(); i++) {
            files.addObject().put("path", s.files().get(i)).put("format", s.fileFormats().get(i));
        }
        o.put("tokenizer", s.tokenizer());
        if (s.architecture() != null) {
            var a = s.architecture();
            ObjectNode arch = o.putObject("architecture");
            arch.put("name", a.name());
            a.encoders().forEach(arch.putArray("encoders")::add);
            arch.put("image_tokens", a.imageTokens());
            a.modLayers().forEach(arch.putArray("mod_layers")::add);
        }
        return o;
    }

    static void print(PrintWriter out, CheckpointSummary s) {
        var d = s.dimensions();
        out.printf("model       %s%n", s.directory());
        out.printf("layout      %s (family %s, model_type %s)%n", s.layout(), s.family(), s.modelType());
        out.printf("decoder     %d layers, hidden %d, intermediate %d, %d heads (%d key/value, head dim %d), vocab %d,"
                        + " context %d%n", d.layers(), d.hiddenSize(), d.intermediateSize(), d.attentionHeads(),
                d.keyValueHeads(), d.headDim(), d.vocabSize(), d.maxPositions());
        if (s.architecture() != null) {
            var a = s.architecture();
            out.printf("arch        %s%n", a.name());
            a.encoders().forEach(e -> out.printf("encoder     %s%n", e));
            out.printf("image       %d image tokens%n", a.imageTokens());
            out.printf("mod layers  %s%n", a.modLayers().isEmpty() ? "none" : a.modLayers());
        } else if (d.visionLayers() != null) {
            out.printf("vision      CLIP %d layers, hidden %d, %d px images, %d px patches -> %d image tokens%n",
                    d.visionLayers(), d.visionHiddenSize(), d.imageSize(), d.patchSize(), d.imageTokens());
        }
        if (s.visionTower() != null) {
            boolean missing = s.visionTower().startsWith(CheckpointSummary.TOWER_NOT_FOUND);
            out.printf("tower       %s%s%n", s.visionTower(), missing ? " (pass --vision-tower DIR)" : "");
        }
        out.printf("tensors     %d in %d file(s), %s%n", s.tensorCount(), s.files().size(), bytes(s.totalBytes()));
        out.printf("format      %s%n", formats(s.directory(), s.files(), s.fileFormats()));
        out.printf("dtypes      %s%n", s.dtypes().entrySet().stream()
                .map(e -> e.getKey() + ": " + e.getValue().tensors() + " tensors, " + bytes(e.getValue().bytes()))
                .collect(Collectors.joining("; ")));
        out.printf("parameters  %s%n", s.parameters().entrySet().stream()
                .map(e -> e.getKey() + " " + count(e.getValue())).collect(Collectors.joining("; ")));
        out.printf("routers     %s%n", routers(s.gammaModRouterLayers(), s.pModRouterLayers()));
        out.printf("tokenizer   %s%n", s.tokenizer());
    }

    /**
     * "pytorch zip: a.bin, b.bin; safetensors: model.safetensors (vision tower)": files named relative to the model
     * directory (a tower folder inside it keeps its folder name); a tower's file from elsewhere (the HF cache) is
     * marked as the tower's, since its own line says where it is.
     */
    static String formats(String directory, List<String> files, List<String> formats) {
        java.nio.file.Path model = java.nio.file.Path.of(directory).toAbsolutePath().normalize();
        java.util.Map<String, List<String>> byFormat = new java.util.LinkedHashMap<>();
        for (int i = 0; i < files.size(); i++) {
            java.nio.file.Path file = java.nio.file.Path.of(files.get(i)).toAbsolutePath().normalize();
            String name = file.startsWith(model) ? model.relativize(file).toString()
                    : file.getFileName() + " (vision tower)";
            byFormat.computeIfAbsent(formats.get(i), f -> new java.util.ArrayList<>()).add(name);
        }
        return byFormat.entrySet().stream().map(e -> e.getKey() + ": " + String.join(", ", e.getValue()))
                .collect(Collectors.joining("; "));
    }

    private static String routers(List<Integer> gamma, List<Integer> pmod) {
        if (gamma.isEmpty() && pmod.isEmpty()) {
            return "none (the training-free schedules only: γ-MoD and p-MoD need routers)";
        }
        StringBuilder sb = new StringBuilder();
        if (!gamma.isEmpty()) {
            sb.append("γ-MoD shared router in ").append(gamma.size()).append(" layers ").append(ranges(gamma));
        }
        if (!pmod.isEmpty()) {
            sb.append(sb.isEmpty() ? "" : "; ").append("p-MoD routers in ").append(pmod.size()).append(" layers ")
                    .append(ranges(pmod));
        }
        return sb.toString();
    }

    /** [3,4,5,9] -> "3-5,9". */
    static String ranges(List<Integer> layers) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < layers.size(); ) {
            int j = i;
            while (j + 1 < layers.size() && layers.get(j + 1) == layers.get(j) + 1) {
                j++;
            }
            sb.append(sb.isEmpty() ? "" : ",").append(layers.get(i));
            if (j > i) {
                sb.append('-').append(layers.get(j));
            }
            i = j + 1;
        }
        return sb.toString();
    }

    static String count(long n) {
        if (n >= 1_000_000_000) {
            return String.format("%.2fB", n / 1e9);
        }
        if (n >= 1_000_000) {
            return String.format("%.2fM", n / 1e6);
        }
        return String.format("%,d", n);
    }

}
